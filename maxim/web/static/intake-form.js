// The intake form: show the handling-code C fields only while C is chosen. Without JavaScript
// they are always shown, with a hint that they count only under C. (GOV.UK Frontend's own
// conditional reveal puts aria-expanded on a radio, which axe-core reports as not allowed.)
(function () {
  "use strict";
  var panel = document.getElementById("conditional-handling-c");
  var radios = document.querySelectorAll("input[name='handling_code']");
  if (!panel || !radios.length) {
    return;
  }
  function sync() {
    var c = document.getElementById("handling_code-c");
    panel.classList.toggle("govuk-radios__conditional--hidden", !(c && c.checked));
  }
  radios.forEach(function (radio) { radio.addEventListener("change", sync); });
  sync();
})();
