// Posts the SignRequest to the signature service at once (a static file: the strict CSP
// runs no inline script). Without JavaScript the page's "Fortsätt" button does the same.
"use strict";
(function () {
  var form = document.getElementById("signservice-post");
  if (form) {
    form.submit();
  }
})();
