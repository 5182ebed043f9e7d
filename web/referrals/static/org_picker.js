// The consent form's organisation picker: typing in the search box hides the organisations
// whose name does not contain it (picked ones stay), so the "Find" round trip that works
// without JavaScript is not needed and its button is removed (Enter then sends the form).
(function () {
  "use strict";
  var fold = function (s) { return (s || "").toLocaleLowerCase().normalize("NFKD"); };
  document.querySelectorAll("[data-org-filter]").forEach(function (input) {
    var select = document.getElementById(input.dataset.orgFilter);
    var find = input.parentNode.querySelector("[data-org-find]");
    if (!select) { return; }
    if (find) { find.remove(); }
    var apply = function () {
      var q = fold(input.value.trim());
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = q !== "" && !option.selected && fold(option.text).indexOf(q) < 0;
      });
    };
    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); apply(); }
    });
    apply();
  });
})();
