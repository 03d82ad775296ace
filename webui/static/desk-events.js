// One live stream per operator page: /api/v1/events, re-sent on the document as "relaydesk:event"
// (detail: the event's JSON) so every script of the page listens without opening a stream of its own.
// The browser reconnects by itself with the Last-Event-ID it last got; {"type": "reset"} means the
// page missed too much and should reload what it shows.
(() => {
  if (!window.EventSource || window.relaydeskEvents) return;
  const source = new EventSource("/api/v1/events");
  window.relaydeskEvents = source;
  // The page says whether it is live (a style or a test can follow it): "open" or "connecting".
  source.onopen = () => { document.documentElement.dataset.live = "open"; };
  source.onerror = () => { document.documentElement.dataset.live = "connecting"; };
  source.onmessage = (message) => {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    document.dispatchEvent(new CustomEvent("relaydesk:event", {detail: data}));
  };
})();
