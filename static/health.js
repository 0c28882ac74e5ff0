// Progressive enhancement for community health pages; every page works
// without it. 1. An archive export's page follows its progress. 2. The
// "Insert saved reply" link next to the answer editor offers the replies
// in a list and inserts the chosen one where the cursor is (without
// script, the link opens a page whose links prefill the editor).
(function () {
  "use strict";
  var me = document.currentScript;

  function getJSON(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) {
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        return res.json();
      });
  }

  // -- export progress --
  var box = document.querySelector(".export-progress[data-finished='0']");
  if (box && window.fetch) {
    var poll = function () {
      getJSON(box.getAttribute("data-export-url")).then(function (d) {
        if (d.finished) {
          window.location.reload();
          return;
        }
        box.querySelector(".export-status").textContent = d.status_label;
        box.querySelector(".export-rows").textContent = d.progress_label;
        var bar = box.querySelector("progress");
        if (bar) { bar.value = d.percent; bar.textContent = d.percent + "%"; }
        window.setTimeout(poll, 1500);
      }).catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }

  // -- saved replies --
  function insertAt(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    if (typeof start !== "number") { start = end = area.value.length; }
    var before = area.value.slice(0, start), after = area.value.slice(end);
    if (before && !/\n$/.test(before)) { text = "\n" + text; }
    area.value = before + text + after;
    var pos = before.length + text.length;
    area.focus();
    area.setSelectionRange(pos, pos);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function picker(link, replies) {
    var area = document.getElementById(link.getAttribute("data-target"));
    var wrap = document.createElement("span");
    wrap.className = "saved-reply-picker";
    var id = "saved-reply-select";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = (me && me.getAttribute("data-label")) || "Saved reply";
    var select = document.createElement("select");
    select.id = id;
    replies.forEach(function (r) {
      var o = document.createElement("option");
      o.value = String(r.id);
      o.textContent = r.title;
      select.appendChild(o);
    });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = (me && me.getAttribute("data-button")) || "Insert";
    button.addEventListener("click", function () {
      var r = replies[select.selectedIndex];
      if (r && area) { insertAt(area, r.body); }
    });
    wrap.appendChild(label);
    wrap.appendChild(select);
    wrap.appendChild(button);
    link.parentNode.insertBefore(wrap, link.nextSibling);
    link.hidden = true;
    select.focus();
  }

  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a.saved-reply-link") : null;
    if (!link || !window.fetch) { return; }
    ev.preventDefault();
    getJSON(link.getAttribute("data-source")).then(function (d) {
      if (!d.replies || d.replies.length === 0) {
        window.location.href = link.href; // the page says there are none
        return;
      }
      picker(link, d.replies);
    }).catch(function () { window.location.href = link.href; });
  });
})();
