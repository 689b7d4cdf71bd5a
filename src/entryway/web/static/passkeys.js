// Passkeys on the sign-in page, at the second step, on Login & security > Passkeys, and
// on the staff console's sign-in page and Your passkeys. Every control stays hidden unless
// this browser has WebAuthn with its JSON helpers: without them (or without script) the
// pages work by password and codes alone. The server answers the options with the
// ceremony's token; the browser's answer and the token go back in the page's plain form.
(function () {
  "use strict";
  var PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseRequestOptionsFromJSON || !PKC.parseCreationOptionsFromJSON) {
    return;
  }
  var FRESH_FOR = 4 * 60 * 1000; // a challenge lives five minutes: autofill asks again
  // for a stale one when the page is looked at again or the field is focused

  // What went wrong, in the form's own alert (its words come from the server, or the
  // page's general sentence). Cancelling the browser's dialog is no error.
  function problem(form, error) {
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) return;
    var shown = form.querySelector("[data-passkey-problem]");
    if (!shown) return;
    if (error && error.said) shown.textContent = error.said;
    shown.hidden = false;
  }

  // A form may name its own options address (the staff console's are its own).
  function options(path, form) {
    path = form.getAttribute("data-options") || path;
    var body = new URLSearchParams({ csrf: form.elements.csrf.value });
    if (form.elements.password) body.set("password", form.elements.password.value);
    return fetch(path, { method: "POST", body: body, credentials: "same-origin" }).then(
      function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (r.ok) return j;
          if ((r.status === 401 || r.status === 403) && j.reauth) {
            window.location.assign(j.reauth);
          }
          var failed = new Error("options " + r.status);
          failed.said = j.message || "";
          throw failed;
        });
      }
    );
  }

  function send(form, answer, credential) {
    form.elements.flow.value = answer.flow;
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.submit();
  }

  function get(form, path, mediation, signal) {
    return options(path, form).then(function (answer) {
      var request = { publicKey: PKC.parseRequestOptionsFromJSON(answer.options) };
      if (signal) request.signal = signal;
      if (mediation) request.mediation = mediation;
      return navigator.credentials.get(request).then(function (credential) {
        if (credential) send(form, answer, credential);
      });
    });
  }

  var unsupported = document.getElementById("passkey-unsupported");
  if (unsupported) unsupported.hidden = true;
  var listed = document.getElementById("passkey-method");
  if (listed) listed.hidden = false;

  // Sign in with a passkey: the button, and autofill on the identifier field.
  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.hidden = false;
    var waiting = null; // the autofill request, given up when the button is pressed
    var askedAt = 0;
    var autofill = false;
    var quiet = function () {
      if (!autofill) return;
      if (waiting) waiting.abort();
      waiting = new AbortController();
      askedAt = Date.now();
      get(signIn, "/signin/passkey/options", "conditional", waiting.signal).catch(function () {
        /* no autofill now: the button and the password remain */
      });
    };
    // A challenge lives five minutes: a page looked at again later asks for a fresh one
    // (no timer, so a tab left open asks for nothing).
    var pressed = false; // the button's own dialog is open: autofill waits
    var stale = function () {
      if (!pressed && Date.now() - askedAt > FRESH_FOR) quiet();
    };
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") stale();
    });
    var field = document.querySelector("input[autocomplete~=webauthn]");
    if (field) field.addEventListener("focus", stale);
    signIn.querySelector("[data-passkey=get]").addEventListener("click", function () {
      if (waiting) waiting.abort();
      waiting = null;
      pressed = true;
      get(signIn, "/signin/passkey/options", null, null).catch(function (e) {
        pressed = false;
        problem(signIn, e);
        quiet(); // cancelled or failed: autofill is offered again
      });
    });
    if (PKC.isConditionalMediationAvailable) {
      PKC.isConditionalMediationAvailable().then(function (yes) {
        autofill = yes;
        quiet();
      });
    }
  }

  // The second step: one of this account's passkeys instead of a code.
  var step = document.getElementById("passkey-second-step");
  if (step) {
    step.hidden = false;
    step.querySelector("[data-passkey=step]").addEventListener("click", function () {
      get(step, "/signin/two-step/passkey/options", null, null).catch(function (e) {
        problem(step, e);
      });
    });
  }

  // Add a passkey (Login & security, or the console's Your passkeys).
  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.querySelector("[data-passkey=create]").addEventListener("click", function () {
      var password = add.elements.password; // the console asks for it again
      if (password && !password.value) {
        password.reportValidity();
        password.focus();
        return;
      }
      options("/account/passkeys/options", add).then(function (answer) {
        var publicKey = PKC.parseCreationOptionsFromJSON(answer.options);
        return navigator.credentials.create({ publicKey: publicKey }).then(function (made) {
          if (made) send(add, answer, made);
        });
      }).catch(function (e) { problem(add, e); });
    });
  }
})();
