// Submits the page's form at once: the SignRequest to the signature service, or, back from
// it, the completion of the attestation (a static file: the strict CSP runs no inline
// script). Without JavaScript the page's button does the same.
"use strict";
(function () {
  var form = document.getElementById("signservice-post");
  if (form) {
    form.submit();
  }
})();
