// A form reached again with the browser's Back button and sent again is the same request: it
// keeps the key it was first sent with, so the server answers with what it already created
// (data.submissions: a referral, a forum post, a note...). The browser puts back what was
// typed but not a form's hidden key, which the page has anew; a form opened afresh keeps its
// new key. Every form of the page with a key ("submission") has its own slot.
(function () {
  "use strict";
  if (!window.sessionStorage) { return; }
  var nav = (performance.getEntriesByType("navigation")[0] || {}).type;
  var keys = document.querySelectorAll("form input[name=submission]");
  Array.prototype.forEach.call(keys, function (key, i) {
    var slot = "tasharuk.sent:" + location.pathname + location.search + "#" + i;
    var sent = sessionStorage.getItem(slot);
    if (nav === "back_forward" && sent) { key.value = sent; }
    key.form.addEventListener("submit", function () { sessionStorage.setItem(slot, key.value); });
  });
})();
