// The desk's panes follow the event stream (desk-events.js) without a reload: the list rows an event
// touched, the open dialog's feed, status, tags, assignee and card, the tab counts, and the unread count
// in the tab title and icon. What the operator is typing is never replaced: the composer is not touched,
// the tag input stays, and a card field being edited keeps its text. Bursts of events are fetched once.
(() => {
  const desk = document.getElementById("desk");
  if (!desk || !window.fetch) return;
  const settings = document.getElementById("live-settings");
  const me = settings ? Number(settings.dataset.operator) : 0;
  const openId = Number(desk.dataset.conversation || 0);
  const contactId = Number(desk.dataset.contact || 0);
  const BURST_MS = 250; // events this close together are fetched once
  const MAX_ROWS = 30; // more rows touched at once reload the list's first page
  // Events after which a conversation moves to the top of the list; others update its row in place.
  const MOVES = new Set(["message_posted", "conversation_opened", "conversation_reopened", "conversations_joined"]);
  const ROWS = new Set([...MOVES, "conversation_closed", "conversation_tagged", "conversation_untagged",
    "conversation_assigned", "contact_changed"]);
  const DIALOG = new Set([...ROWS, "delivery_changed", "conversation_read", "email_claimed", "conversation_seen"]);
  const baseTitle = document.title.replace(/^\(\d+\) /, "");
  const icon = document.querySelector("link[rel=icon]");
  const plainIcon = icon ? icon.href : "";
  let rows = new Map(); // conversation id -> whether it moves to the top
  let reloadList = false;
  let dialogDue = false;
  let timer = null;
  let running = 0; // flushes queued or fetching
  let chain = Promise.resolve(); // one fetch at a time, so an older answer never overwrites a newer one

  const $ = (id) => document.getElementById(id);
  const times = (scope) => { if (window.deskLocalTimes) window.deskLocalTimes(scope); };

  function parse(html, tag) {
    const holder = document.createElement(tag);
    holder.innerHTML = html;
    return holder;
  }

  function get(url, as) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": as === "json" ? "application/json" : "text/html"}})
      .then((response) => {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return as === "json" ? response.json() : response.text();
      });
  }

  function listParams() {
    const params = new URLSearchParams(location.search);
    ["cursor", "before", "history", "done"].forEach((name) => params.delete(name));
    return params;
  }

  // --- the tab title and icon ---
  function showUnread(count) {
    desk.dataset.unread = String(count);
    document.title = (count ? `(${count}) ` : "") + baseTitle;
    if (!icon) return;
    if (!count) { icon.href = plainIcon; return; }
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      const paint = canvas.getContext("2d");
      paint.drawImage(image, 0, 0, 64, 64);
      paint.fillStyle = "#d33";
      paint.beginPath();
      paint.arc(44, 20, 20, 0, 2 * Math.PI);
      paint.fill();
      paint.fillStyle = "#fff";
      paint.font = "bold 26px system-ui, sans-serif";
      paint.textAlign = "center";
      paint.textBaseline = "middle";
      paint.fillText(count > 99 ? "99" : String(count), 44, 21);
      icon.href = canvas.toDataURL("image/png");
    };
    image.src = plainIcon;
  }

  function showCounts(counts) {
    [["tab-mine", counts.mine], ["tab-unassigned", counts.unassigned], ["tab-all", counts.all]].forEach(([id, n]) => {
      const count = document.querySelector(`#${id} .count`);
      if (count) count.textContent = String(n);
    });
  }

  // --- the list ---
  function updateRows(touched) {
    const params = listParams();
    touched.forEach((top, id) => params.append("id", String(id)));
    if (openId) params.set("current", String(openId));
    return get("/inbox/live/rows?" + params, "json").then((body) => {
      const list = $("rows");
      if (list) {
        touched.forEach((top, id) => placeRow(list, id, top, body.rows[String(id)] || ""));
      }
      showCounts(body.counts);
      showUnread(body.unread);
    });
  }

  function placeRow(list, id, top, html) {
    const old = list.querySelector(`.row[data-id="${id}"]`);
    if (!html) {
      if (old) old.remove(); // it no longer passes the list's filters
      return;
    }
    const fresh = parse(html, "ol").querySelector(".row");
    if (!fresh) return;
    times(fresh);
    if (old && old.classList.contains("selected")) fresh.classList.add("selected");
    if (old && !top) {
      old.replaceWith(fresh);
      return;
    }
    if (old) old.remove();
    list.prepend(fresh);
    const empty = list.querySelector(".no-rows");
    if (empty) empty.remove();
  }

  function reloadRows() {
    return get("/inbox/rows?" + listParams(), "html").then((html) => {
      const list = $("rows");
      if (!list) return;
      list.innerHTML = html;
      const current = list.querySelector(`.row[data-id="${openId}"]`);
      if (current) current.classList.add("current");
      times(list);
      if (window.deskWatchMore) window.deskWatchMore();
    }).then(() => updateRows(new Map()));
  }

  // --- the open dialog and its card ---
  function updateDialog() {
    const params = new URLSearchParams(location.search);
    params.delete("done");
    if (document.visibilityState === "visible") params.set("read", "1"); // seen as it arrives
    return get(`/inbox/${openId}/live?` + params, "html").then((html) => {
      const fresh = parse(html, "div");
      swap(fresh, "dialog-status");
      swap(fresh, "dialog-title");
      if (swap(fresh, "dialog-tools") && window.deskAutosubmit) window.deskAutosubmit($("dialog-tools"));
      swapTags(fresh);
      mergeFeed(fresh.querySelector("#feed"));
      mergeCard(fresh.querySelector("#live-person"));
    });
  }

  function swap(fresh, id) {
    const mine = $(id), theirs = fresh.querySelector("#" + id);
    if (!mine || !theirs || mine.contains(document.activeElement)) return false;
    mine.replaceWith(theirs);
    return true;
  }

  function swapTags(fresh) {
    const line = $("dialog-tags"), theirs = fresh.querySelector("#dialog-tags"), input = $("tag-form");
    if (!line || !theirs || !input) return;
    Array.from(line.children).forEach((child) => { if (child !== input) child.remove(); });
    Array.from(theirs.children).forEach((child) => { if (child.id !== "tag-form") line.insertBefore(child, input); });
  }

  function mergeFeed(theirs) {
    const feed = $("feed");
    if (!feed || !theirs) return;
    const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 80;
    const seen = takeSeenMark(theirs);
    let added = false;
    theirs.querySelectorAll("article.msg").forEach((article) => {
      const mine = document.getElementById(article.id);
      if (!mine) {
        times(article);
        feed.appendChild(article);
        added = true;
        return;
      }
      const was = mine.querySelector(".deliveries"), now = article.querySelector(".deliveries");
      if (was && now) was.replaceWith(now);
      else if (now) mine.insertBefore(now, mine.querySelector(".verdicts"));
    });
    placeSeenMark(seen);
    if (!added) return;
    const empty = feed.querySelector(":scope > .empty-pane");
    if (empty) empty.remove();
    if (atBottom) feed.scrollTop = feed.scrollHeight;
  }

  // "Seen by the visitor" stands under the newest answer the visitor's chat has shown them.
  function takeSeenMark(theirs) {
    const mark = theirs.querySelector("#visitor-seen");
    if (!mark) return null;
    const answerId = mark.closest("article").id;
    mark.remove();
    return {mark, answerId};
  }

  function placeSeenMark(seen) {
    const was = $("visitor-seen"), answer = seen && document.getElementById(seen.answerId);
    if (was) was.remove();
    if (answer) answer.insertBefore(seen.mark, answer.querySelector(".verdicts"));
  }

  function mergeCard(theirs) {
    if (!theirs) return;
    const name = $("person-name"), newName = theirs.querySelector("#person-name");
    if (name && newName) name.textContent = newName.textContent;
    ["card-name", "card-email", "card-phone", "card-notes"].forEach((id) => {
      const field = $(id), fresh = theirs.querySelector("#" + id);
      if (!field || !fresh) return;
      const stored = fresh.defaultValue;
      if (field.value === stored) { field.defaultValue = stored; return; } // saved: the same text
      if (document.activeElement === field || field.value !== field.defaultValue) return; // being edited
      field.defaultValue = stored;
      field.value = stored;
    });
    const properties = $("properties");
    const edited = properties && Array.from(properties.querySelectorAll("input"))
      .some((input) => input.value !== input.defaultValue || input === document.activeElement);
    if (properties && !edited) swap(theirs, "properties");
  }

  // --- events in, one fetch per burst ---
  function flush() {
    timer = null;
    const touched = rows, listAgain = reloadList || rows.size > MAX_ROWS, dialogAgain = dialogDue;
    rows = new Map();
    reloadList = dialogDue = false;
    running += 1;
    chain = chain.then(() => {
      const work = [];
      if (listAgain) work.push(reloadRows());
      else if (touched.size) work.push(updateRows(touched));
      if (dialogAgain && openId) work.push(updateDialog());
      return Promise.all(work);
    }).catch(() => { /* the next event or a reload shows it */ }).then(() => {
      running -= 1;
      if (!timer && !running) delete desk.dataset.updating;
    });
  }

  function schedule() {
    desk.dataset.updating = "1"; // until the page shows what the events said
    if (!timer) timer = setTimeout(flush, BURST_MS);
  }

  function touchRow(id, top) {
    if (!id) return;
    rows.set(id, Boolean(rows.get(id)) || top);
  }

  function heard(event) {
    const type = event.type, id = Number(event.conversation_id || 0);
    if (type === "reset") {
      reloadList = true;
      dialogDue = true;
    } else if (type === "conversation_read") {
      if (event.operator_id !== me) return; // another operator's reading changes nothing shown here
      touchRow(id, false);
    } else if (ROWS.has(type)) {
      touchRow(id, MOVES.has(type));
      if (type === "conversations_joined") touchRow(Number(event.joined_id || 0), false);
    }
    const mine = openId && (id === openId || (contactId && Number(event.contact_id || 0) === contactId));
    if (mine && DIALOG.has(type) && !(type === "conversation_read" && event.operator_id === me)) dialogDue = true;
    if (rows.size || reloadList || dialogDue) schedule();
  }

  document.addEventListener("relaydesk:event", ({detail}) => { if (detail) heard(detail); });
  // Messages that came while the tab was hidden stay unread until the operator looks again.
  document.addEventListener("visibilitychange", () => {
    const current = openId && document.querySelector(`#rows .row.current.has-unread`);
    if (document.visibilityState !== "visible" || !current) return;
    dialogDue = true;
    schedule();
  });
  showUnread(Number(desk.dataset.unread || 0));
})();
