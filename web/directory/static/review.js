// A review link's one-click answer: the answer is in the link; a person's browser sends it as
// soon as the page opens. Mail scanners that open links to check them run no scripts, so
// they never answer; without scripts the page shows the one button instead.
(function () {
  "use strict";
  var form = document.getElementById("review-one-click");
  if (!form || form.dataset.send !== "1") { return; }
  form.dataset.send = "0";  // once, even if the page is shown again from the history
  var status = document.getElementById("review-sending");
  var text = document.getElementById("review-sending-text");
  if (status && text) { status.textContent = text.textContent; }
  var button = form.querySelector("button");
  if (button) { button.disabled = true; }
  form.submit();
})();
