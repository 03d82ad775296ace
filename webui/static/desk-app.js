// Registers the desk's service worker (an offline page, and what lets the desk install as an app).
(() => {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/desk-sw.js", {scope: "/inbox"}).catch(() => {
    /* not installable here (e.g. plain http on another host): the desk works as a page */
  });
})();
