/* The session's idle warning, and a form typed before the session ended filled in again.
 *
 * Warning: the page says how many seconds its session lives on without a request
 * (<meta name="attest-session-seconds-left">). A little before that, a notice offers
 * "Fortsätt vara inloggad", which asks the server to restart the idle time. Typing alone
 * sends nothing, so without it the session ends: a form sent after that is kept by the
 * server and filled in again after logging in (attest/auth/stash.py).
 *
 * Restoring: the server renders the kept fields in #restored-form (data-form). They are
 * set as the values of the form that posts to the same address; nothing is submitted.
 */
(function () {
  "use strict";

  function meta(name) {
    var element = document.querySelector('meta[name="' + name + '"]');
    return element ? element.getAttribute("content") : null;
  }

  // --- the idle warning ------------------------------------------------------------------

  var keepAliveUrl = meta("attest-keep-alive");
  var warning = null;
  var timer = null;

  function warnBefore(seconds) {
    // Two minutes before a long limit, a quarter of a short one (a test's minute).
    return Math.min(120, seconds / 4);
  }

  function showWarning(text, offerToStay) {
    if (!warning) {
      warning = document.createElement("div");
      warning.className = "session-warning";
      warning.setAttribute("role", "alert");
      warning.appendChild(document.createElement("p"));
      var stay = document.createElement("button");
      stay.type = "button";
      stay.className = "button primary";
      stay.textContent = meta("attest-session-stay");
      stay.addEventListener("click", keepAlive);
      warning.appendChild(stay);
      (document.getElementById("main") || document.body).prepend(warning);
    }
    warning.querySelector("p").textContent = text;
    warning.querySelector("button").hidden = !offerToStay;
    warning.hidden = false;
  }

  function schedule(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      showWarning(meta("attest-session-warning"), true);
      timer = window.setTimeout(ended, warnBefore(seconds) * 1000);
    }, Math.max(0, seconds - warnBefore(seconds)) * 1000);
  }

  function ended() {
    showWarning(meta("attest-session-ended"), false);
  }

  function keepAlive() {
    fetch(keepAliveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!response.ok || !json) {
          throw new Error("session over");
        }
        return response.json();
      })
      .then(function (body) {
        warning.hidden = true;
        schedule(body.seconds_left);
      })
      .catch(ended);
  }

  var secondsLeft = parseInt(meta("attest-session-seconds-left") || "0", 10);
  if (keepAliveUrl && secondsLeft > 0) {
    schedule(secondsLeft);
  }

  // --- a kept form, filled in again ----------------------------------------------------------

  var holder = document.getElementById("restored-form");
  if (!holder) {
    return;
  }
  var kept = JSON.parse(holder.getAttribute("data-form"));
  var form = null;
  Array.prototype.forEach.call(document.forms, function (candidate) {
    var action = new URL(candidate.getAttribute("action") || "", window.location.href);
    if (!form && action.pathname === kept.action) {
      form = candidate;
    }
  });
  if (!form) {
    holder.querySelector("details").open = true; // the form is gone: show what was typed
    return;
  }
  var first = null;
  Object.keys(kept.fields).forEach(function (name) {
    var values = kept.fields[name];
    var index = 0;
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name !== name) {
        return;
      }
      var type = (element.type || "").toLowerCase();
      if (["hidden", "password", "file", "submit", "button", "reset"].indexOf(type) >= 0) {
        return; // the page's own (a fresh lock_version and CSRF token), or never kept
      }
      if (type === "checkbox" || type === "radio") {
        element.checked = values.indexOf(element.value) >= 0;
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = values.indexOf(option.value) >= 0;
        });
      } else if (index < values.length) {
        element.value = values[index];
        index += 1;
        if (!first && element.value) {
          first = element;
        }
      }
    });
  });
  for (var node = form.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") {
      node.open = true;
    }
  }
  if (first) {
    first.focus();
  }
})();
