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

  // Ask before destructive actions.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f.classList && f.classList.contains("confirm")) {
      if (!window.confirm(f.getAttribute("data-confirm") || "Are you sure?")) {
        ev.preventDefault();
      }
    }
  });
})();
