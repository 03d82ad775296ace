/* The operator desk's small script: everything works without it; it adds keys, scrolling, pickers and
   saving the card in place. No framework; no inline script (the pages' CSP forbids it). */
(function () {
  "use strict";
  var EMOJI = ["😀", "😊", "🙂", "😉", "😍", "🤔", "😅", "😂", "🙁", "😢", "😮", "😎", "👍", "👎", "👌", "🙏",
    "👋", "👏", "💪", "🤝", "🎉", "✅", "❌", "⚠️", "❤️", "🔥", "⭐", "💡", "📎", "📦", "🚚", "💳",
    "📞", "✉️", "⏰", "🕐", "📅", "🔒", "🔑", "🛒"];
  var root = document.documentElement;
  root.classList.add("js");
  var desk = document.getElementById("desk");
  var csrf = (desk || document.querySelector("[data-csrf]") || { dataset: {} }).dataset.csrf || "";
  var lang = root.lang || "en";

  function $(id) { return document.getElementById(id); }
  function show(el) { if (el) { el.hidden = false; } }
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  ["keys-button", "saved-button", "emoji-button"].forEach(function (id) { show($(id)); });

  /* Times in the operator's own time zone. */
  function localTimes(scope) {
    var format = new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" });
    scope.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.textContent = format.format(when); el.title = when.toISOString(); }
    });
  }
  localTimes(document);
  window.deskLocalTimes = localTimes;

  /* Filters apply as soon as they change. */
  function autosubmit(scope, selector) {
    scope.querySelectorAll(selector).forEach(function (el) {
      el.addEventListener("change", function () { el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit(); });
    });
  }
  autosubmit(document, "#filter-assignee, #filter-unread, #filter-awaiting, [data-autosubmit]");
  window.deskAutosubmit = function (scope) { autosubmit(scope, "[data-autosubmit]"); };

  /* The list loads its next cursor page when "More" comes into view (or is clicked). */
  function loadMore(link) {
    if (link.dataset.loading) { return; }
    link.dataset.loading = "1";
    fetch(link.dataset.rows, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("ol");
      holder.innerHTML = html;
      localTimes(holder);
      var item = link.closest("li");
      while (holder.firstChild) { item.parentNode.insertBefore(holder.firstChild, item); }
      item.remove();
      watchMore();
    }).catch(function () { delete link.dataset.loading; });
  }
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) { loadMore(entry.target); } });
  }, { root: null, rootMargin: "200px" }) : null;
  function watchMore() {
    var more = $("more");
    if (!more) { return; }
    more.addEventListener("click", function (event) { event.preventDefault(); loadMore(more); });
    if (observer) { observer.observe(more); }
  }
  watchMore();
  window.deskWatchMore = watchMore;

  /* The feed opens at its newest message. */
  var feed = $("feed");
  if (feed && feed.scrollHeight > feed.clientHeight) { feed.scrollTop = feed.scrollHeight; }

  /* Phone: one pane at a time. */
  document.querySelectorAll("[data-show-pane]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (desk) { desk.dataset.pane = button.dataset.showPane; window.scrollTo(0, 0); }
    });
  });

  /* The composer. */
  var composer = $("composer");
  var text = $("composer-text");
  function insertAtCursor(value, replaceFrom) {
    var start = replaceFrom === undefined ? text.selectionStart : replaceFrom;
    var end = text.selectionEnd;
    text.value = text.value.slice(0, start) + value + text.value.slice(end);
    text.selectionStart = text.selectionEnd = start + value.length;
    text.focus();
    text.dispatchEvent(new Event("input"));
  }
  if (composer && text) {
    var draftKey = text.dataset.draftKey;
    try {
      if (!text.value && localStorage.getItem(draftKey)) { text.value = localStorage.getItem(draftKey); }
    } catch (ignored) { /* storage may be off */ }
    text.addEventListener("input", function () {
      try { localStorage.setItem(draftKey, text.value); } catch (ignored) { /* storage may be off */ }
    });
    composer.addEventListener("submit", function (event) {
      var action = event.submitter && event.submitter.value;
      if (action !== "save-reply") {
        try { localStorage.removeItem(draftKey); } catch (ignored) { /* storage may be off */ }
      }
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        $("send").click();
      }
    });
    composer.querySelectorAll("input[name=note]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        composer.classList.toggle("note-mode", $("mode-note").checked);
      });
    });
    setUpSavedReplies();
    setUpEmoji();
  }

  function setUpSavedReplies() {
    var picker = $("saved-picker"), search = $("saved-search"), none = $("saved-none");
    var buttons = Array.prototype.slice.call(picker.querySelectorAll(".saved-reply"));
    var slashAt = null;
    function visible() { return buttons.filter(function (b) { return !b.closest("li").hidden; }); }
    function filter(query) {
      var q = query.trim().toLowerCase();
      buttons.forEach(function (b) {
        var hit = !q || b.dataset.title.toLowerCase().indexOf(q) >= 0 || b.dataset.text.toLowerCase().indexOf(q) >= 0;
        b.closest("li").hidden = !hit;
        b.classList.remove("active");
      });
      var shown = visible();
      if (shown.length) { shown[0].classList.add("active"); }
      none.hidden = shown.length > 0;
    }
    function open(fromSlash) {
      slashAt = fromSlash;
      picker.hidden = false;
      if (fromSlash === null) { search.value = ""; filter(""); search.focus(); }
    }
    function close() { picker.hidden = true; slashAt = null; }
    function pick(button) {
      var from = slashAt;
      close();
      insertAtCursor(button.dataset.text, from === null ? undefined : from);
    }
    buttons.forEach(function (b) { b.addEventListener("click", function () { pick(b); }); });
    $("saved-button").addEventListener("click", function () { picker.hidden ? open(null) : close(); });
    search.addEventListener("input", function () { filter(search.value); });
    function keys(event) {
      if (picker.hidden) { return; }
      var shown = visible(), at = shown.findIndex(function (b) { return b.classList.contains("active"); });
      if (event.key === "Escape") { event.preventDefault(); close(); text.focus(); }
      else if (event.key === "Enter" && !event.ctrlKey && shown.length) { event.preventDefault(); pick(shown[Math.max(at, 0)]); }
      else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && shown.length) {
        event.preventDefault();
        if (at >= 0) { shown[at].classList.remove("active"); }
        at = (at + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        shown[at].classList.add("active");
      }
    }
    search.addEventListener("keydown", keys);
    text.addEventListener("keydown", keys);
    /* Typing "/" and a name, at the start or after a space, searches the saved replies. */
    text.addEventListener("input", function () {
      var before = text.value.slice(0, text.selectionStart);
      var match = /(^|\s)\/([^\s\/]*)$/.exec(before);
      if (match) {
        open(text.selectionStart - match[2].length - 1);
        filter(match[2]);
      } else if (slashAt !== null) {
        close();
      }
    });
    window.deskOpenSavedReplies = function () { open(null); };
  }

  function setUpEmoji() {
    var picker = $("emoji-picker");
    EMOJI.forEach(function (emoji) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = emoji;
      button.addEventListener("click", function () { picker.hidden = true; insertAtCursor(emoji); });
      picker.appendChild(button);
    });
    $("emoji-button").addEventListener("click", function () { picker.hidden = !picker.hidden; });
  }

  /* The person's card saves a changed field in place; a refused one keeps what was typed. It saves when
     a field is left, and a moment after typing stops, as keepalive requests; what is still unsaved as the
     page goes is sent as a beacon. Leaving the card right after an edit does not drop it. */
  var TYPING_PAUSE_MS = 800;
  document.querySelectorAll("form[data-card]").forEach(function (form) {
    var typed = false, pause = null;
    function save() {
      clearTimeout(pause);
      typed = false;
      var data = new FormData(form);
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin", keepalive: true,
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        form.querySelectorAll(".error").forEach(function (el) { el.hidden = true; });
        var saved = $("card-saved");
        if (!result.ok) {
          saved.hidden = true;
          var error = $("card-" + (result.body.field || "name") + "-error");
          show(error);
          return;
        }
        saved.hidden = false;
        var name = $("person-name"), card = result.body.contact;
        if (name && card) { name.textContent = card.name || card.email || name.textContent; }
      }).catch(function () { form.submit(); });
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
    form.querySelectorAll("input, textarea").forEach(function (field) {
      field.addEventListener("change", save);
      field.addEventListener("input", function () {
        typed = true;
        clearTimeout(pause);
        pause = setTimeout(save, TYPING_PAUSE_MS);
      });
    });
    // Typed and left within the pause: a beacon, as a last try (the browser may still drop it). The form
    // carries its CSRF token, so the beacon needs no header.
    function saveAsThePageGoes() {
      if (!typed) { return; }
      typed = false;
      navigator.sendBeacon(form.action, new FormData(form));
    }
    window.addEventListener("pagehide", saveAsThePageGoes);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveAsThePageGoes(); }
    });
  });

  /* Keys. */
  var keysDialog = $("keys");
  function showKeys() { if (keysDialog && !keysDialog.open) { keysDialog.showModal(); } }
  if ($("keys-button")) { $("keys-button").addEventListener("click", showKeys); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#rows .row")); }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (at < 0) { at = all.findIndex(function (r) { return r.classList.contains("current"); }); }
    if (at >= 0) { all[at].classList.remove("selected"); }
    at = Math.min(all.length - 1, Math.max(0, at + step));
    all[at].classList.add("selected");
    all[at].scrollIntoView({ block: "nearest" });
  }
  function click(id) { var el = $(id); if (el) { el.click(); return true; } return false; }
  function focusSearch() { var box = $("search-box"); if (box) { box.focus(); box.select(); } }
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      focusSearch();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (keysDialog && keysDialog.open) { return; }
    var key = event.key;
    var active = document.activeElement;
    var inList = !active || active === document.body || ($("list-pane") && $("list-pane").contains(active));
    if ((key === "ArrowDown" || key === "ArrowUp" || key === "Enter") && !inList) { return; }
    if (key === "j" || key === "ArrowDown") { move(1); }
    else if (key === "k" || key === "ArrowUp") { move(-1); }
    else if (key === "Enter") {
      var chosen = document.querySelector("#rows .row.selected .row-link");
      if (!chosen) { return; }
      chosen.click();
    }
    else if (key === "e") { if (!click("close")) { click("reopen"); } }
    else if (key === "a") { click("assign-me"); }
    else if (key === "t") { if ($("new-tag")) { $("new-tag").focus(); } }
    else if (key === "r") { if (text) { text.focus(); } }
    else if (key === "/") {
      // in an open dialog "/" picks a saved reply; on the list alone it searches
      if (window.deskOpenSavedReplies && $("composer-text")) { window.deskOpenSavedReplies(); } else { focusSearch(); }
    }
    else if (key === "?") { showKeys(); }
    else { return; }
    event.preventDefault();
  });
})();
