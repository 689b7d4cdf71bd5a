// Passkeys on the sign-in page, at the second step, on Login & security > Passkeys, and
// on the staff console's sign-in page and Your passkeys. Every control stays
// hidden unless this browser has WebAuthn with its JSON helpers: without them (or without
// script) the pages work by password and codes alone. The server answers the options and
// keeps the ceremony's token in a cookie; the browser's answer goes back in a plain form.
(function () {
  "use strict";
  var PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseRequestOptionsFromJSON || !PKC.parseCreationOptionsFromJSON) {
    return;
  }

  // A form may name its own options address (the staff console's are its own).
  function options(path, form) {
    path = form.getAttribute("data-options") || path;
    var body = new URLSearchParams({ csrf: form.elements.csrf.value });
    return fetch(path, { method: "POST", body: body, credentials: "same-origin" }).then(
      function (r) {
        if (r.status === 401 || r.status === 403) {
          return r.json().then(function (j) {
            window.location.assign(j.reauth || "/account");
            throw new Error("reauthenticate");
          });
        }
        if (!r.ok) throw new Error("options " + r.status);
        return r.json();
      }
    );
  }

  function send(form, credential) {
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.submit();
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.hidden = false;
    var waiting = null; // the autofill request, given up when the button is pressed
    var ask = function (mediation) {
      if (waiting) waiting.abort();
      waiting = new AbortController();
      var signal = waiting.signal;
      return options("/signin/passkey/options", signIn).then(function (json) {
        var request = { publicKey: PKC.parseRequestOptionsFromJSON(json), signal: signal };
        if (mediation) request.mediation = mediation;
        return navigator.credentials.get(request);
      }).then(function (credential) {
        if (credential) send(signIn, credential);
      });
    };
    signIn.querySelector("[data-passkey=get]").addEventListener("click", function () {
      ask(null).catch(function () { /* cancelled, or no passkey: the password stays */ });
    });
    if (PKC.isConditionalMediationAvailable) {
      PKC.isConditionalMediationAvailable().then(function (yes) {
        if (yes) ask("conditional").catch(function () {});
      });
    }
  }

  var unsupported = document.getElementById("passkey-unsupported");
  if (unsupported) unsupported.hidden = true;
  var listed = document.getElementById("passkey-method");
  if (listed) listed.hidden = false;

  // The second step: one of this account's passkeys instead of a code.
  var step = document.getElementById("passkey-second-step");
  if (step) {
    step.hidden = false;
    step.querySelector("[data-passkey=step]").addEventListener("click", function () {
      options("/signin/two-step/passkey/options", step).then(function (json) {
        return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(json) });
      }).then(function (credential) {
        if (credential) send(step, credential);
      }).catch(function () { /* cancelled: the codes stay */ });
    });
  }

  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.querySelector("[data-passkey=create]").addEventListener("click", function () {
      options("/account/passkeys/options", add).then(function (json) {
        return navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(json) });
      }).then(function (credential) {
        if (credential) send(add, credential);
      }).catch(function () { /* cancelled: nothing changes */ });
    });
  }
})();
