// The search page: once it has loaded, the result count is put into its live region so that
// screen readers announce it (text a page arrives with is not announced).
(function () {
  "use strict";
  var status = document.getElementById("search-status");
  if (status && status.dataset.text) {
    window.setTimeout(function () { status.textContent = status.dataset.text; }, 250);
  }
})();
