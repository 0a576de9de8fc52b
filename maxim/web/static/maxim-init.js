// Starts GOV.UK Frontend's components (the CSP forbids inline scripts, so this is a file).
import { initAll, isSupported } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
if (isSupported()) {
  initAll();
}
