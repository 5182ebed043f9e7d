// A referral form reached again with the browser's Back button and sent again is the same
// request: it keeps the key it was first sent with, so the server answers with the referral
// already sent (referral.submissions). The browser puts back what was typed but not the
// form's hidden key, which the page has anew; a form opened afresh keeps its new key.
(function () {
  "use strict";
  var key = document.querySelector("form input[name=submission]");
  if (!key || !window.sessionStorage) { return; }
  var slot = "tasharuk.sent:" + location.pathname + location.search;
  var nav = (performance.getEntriesByType("navigation")[0] || {}).type;
  var sent = sessionStorage.getItem(slot);
  if (nav === "back_forward" && sent) { key.value = sent; }
  key.form.addEventListener("submit", function () { sessionStorage.setItem(slot, key.value); });
})();
