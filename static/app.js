// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Remember the browser's time zone so exact times show in local time.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + tz) === -1) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in UTC */ }

  // Kudos without a reload: the form still works as a plain POST when
  // fetch is missing or fails. The server answers JSON when asked for it.
  function sendKudos(f) {
    var button = f.querySelector(".kudos-button");
    var give = f.querySelector("input[name=give]");
    var token = f.querySelector("input[name=csrf_token]");
    if (!button || !give || !token || !window.fetch || !window.FormData) {
      return false;
    }
    button.disabled = true;
    window.fetch(f.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token.value },
      body: new FormData(f)
    }).then(function (res) {
      return res.json().then(function (data) { return { ok: res.ok, data: data }; });
    }).then(function (r) {
      button.disabled = false;
      if (!r.ok) {
        window.alert(r.data && r.data.error ? r.data.error : "Error");
        return;
      }
      var count = f.querySelector(".kudos-count");
      if (count && r.data.label) { count.textContent = r.data.label; }
      button.setAttribute("aria-pressed", r.data.given ? "true" : "false");
      button.textContent = button.getAttribute(r.data.given ? "data-given" : "data-give");
      give.value = r.data.given ? "0" : "1";
    }).catch(function () {
      button.disabled = false;
      f.submit(); // fall back to the plain form
    });
    return true;
  }

  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!f.classList) {
      return;
    }
    // Ask before destructive actions.
    if (f.classList.contains("confirm")) {
      if (!window.confirm(f.getAttribute("data-confirm") || "Are you sure?")) {
        ev.preventDefault();
      }
      return;
    }
    if (f.classList.contains("kudos-form") && sendKudos(f)) {
      ev.preventDefault();
    }
  });
})();
