// Chrontainer, every page: theme toggle, relative times, messages, confirmation dialog, API calls
// and live updates. The pages are complete without this file; it only makes them interactive.
// Data goes into the page with textContent only.
"use strict";
(() => {
  const root = document.documentElement;
  const $ = (sel, scope = document) => scope.querySelector(sel);

  // ---- theme: auto → light → dark → auto
  const THEME_KEY = "chrontainer-theme";
  const themeButton = $("#theme-toggle");
  function showTheme() {
    const theme = root.getAttribute("data-theme") || "auto";
    $("#theme-name").textContent = theme.charAt(0).toUpperCase() + theme.slice(1);
    themeButton.setAttribute("aria-label", `Colour theme: ${theme}. Change`);
  }
  if (themeButton) {
    showTheme();
    themeButton.addEventListener("click", () => {
      const next = { auto: "light", light: "dark", dark: "auto" }[root.getAttribute("data-theme") || "auto"];
      if (next === "auto") root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", next);
      try {
        if (next === "auto") localStorage.removeItem(THEME_KEY);
        else localStorage.setItem(THEME_KEY, next);
      } catch (e) {
        /* not remembered, still applied */
      }
      showTheme();
    });
  }

  // ---- times: the same words as the server (src/web/pages/format.rs)
  function span(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return h ? `${d} d ${h} h` : `${d} d`;
    if (h) return m ? `${h} h ${m} min` : `${h} h`;
    return m ? `${m} min` : `${s} s`;
  }
  function relative(date, now = Date.now()) {
    const diff = date.getTime() - now;
    if (Math.abs(diff) < 60000) return diff >= 0 ? "in less than a minute" : "just now";
    return diff > 0 ? `in ${span(diff)}` : `${span(-diff)} ago`;
  }
  function updateRelative(scope = document) {
    for (const el of scope.querySelectorAll("[data-rel]")) {
      const date = new Date(el.getAttribute("data-rel"));
      if (!isNaN(date)) el.textContent = relative(date);
    }
  }
  setInterval(updateRelative, 30000);

  // ---- messages (aria-live)
  const toasts = $("#toasts");
  // Shows a message; pass the element it returned to replace that message (e.g. "Restarting…" by its result).
  function announce(text, kind = "info", replace = null) {
    if (!toasts) return null;
    const item = document.createElement("div");
    item.className = `toast toast-${kind}`;
    item.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => item.remove());
    item.append(close);
    if (replace && replace.isConnected) replace.replaceWith(item);
    else toasts.append(item);
    while (toasts.children.length > 4) toasts.firstElementChild.remove();
    setTimeout(() => item.remove(), kind === "bad" ? 20000 : 8000);
    return item;
  }

  // Focus back where it was, or on its replacement after a live refresh (same id).
  function refocus(el, id) {
    const target = el && el.isConnected ? el : id && document.getElementById(id);
    if (target) target.focus();
  }

  // ---- confirmation: resolves true when the user confirms
  function confirmAction(title, text, okLabel) {
    return choose(title, text, okLabel).then((choice) => choice === "ok");
  }

  // A question with a second way to say yes (moreLabel): resolves "ok", "more" or "cancel".
  function choose(title, text, okLabel, moreLabel) {
    const dialog = $("#confirm-dialog");
    if (!dialog || !dialog.showModal) return Promise.resolve(window.confirm(`${title}\n${text}`) ? "ok" : "cancel");
    const more = $("#confirm-more", dialog);
    if (more) {
      more.hidden = !moreLabel;
      more.textContent = moreLabel || "";
    }
    const opener = document.activeElement;
    const openerId = opener && opener.id;
    $("#confirm-title", dialog).textContent = title;
    $("#confirm-text", dialog).textContent = text;
    $("#confirm-ok", dialog).textContent = okLabel;
    dialog.returnValue = "cancel";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener(
        "close",
        () => {
          refocus(opener, openerId);
          resolve(dialog.returnValue || "cancel");
        },
        { once: true },
      );
    });
  }

  // ---- API: resolves {ok, status, data} or {ok: false, status, error: {code, message, field}}
  async function api(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    const csrf = $("meta[name=csrf-token]");
    if (csrf && method !== "GET") init.headers["X-CSRF-Token"] = csrf.content;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      return { ok: false, status: 0, error: { code: "network", message: "Chrontainer cannot be reached." } };
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
    }
    if (response.ok) return { ok: true, status: response.status, data };
    const error = (data && data.error) || {};
    return {
      ok: false,
      status: response.status,
      error: { code: error.code || "http_error", message: error.message || `The server answered ${response.status}.`, field: error.field },
    };
  }

  // ---- live: re-render the page's [data-live] parts from the server
  const afterRefresh = [];
  let timer = null;
  let running = false;
  let pending = false;
  function liveEnabled() {
    const log = $("#log-live");
    return !log || log.getAttribute("data-first-page") === "true";
  }
  function refresh(delay = 300) {
    if (timer || !document.querySelector("[data-live]")) return;
    timer = setTimeout(run, delay);
  }
  async function run() {
    timer = null;
    if (document.hidden) {
      pending = true;
      return;
    }
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      const response = await fetch(location.pathname + location.search, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      const type = response.headers.get("content-type") || "";
      if (response.ok && type.startsWith("text/html")) swap(await response.text());
    } catch (e) {
      /* the next event or reconnect tries again */
    } finally {
      running = false;
      if (pending) {
        pending = false;
        refresh(1000);
      }
    }
  }
  function swap(html) {
    // The page is our own, rendered with every value escaped; it replaces parts of itself.
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const focused = document.activeElement && document.activeElement.id;
    const known = new Set(Array.from(document.querySelectorAll("tr[id^=log-]"), (el) => el.id));
    // an expanded run stays expanded when its part is replaced
    const open = new Set(Array.from(document.querySelectorAll("details[open][id]"), (el) => el.id));
    for (const part of document.querySelectorAll("[data-live][id]")) {
      const next = fresh.getElementById(part.id);
      if (next && next.hasAttribute("data-live")) part.replaceWith(document.adoptNode(next));
    }
    if (known.size) {
      for (const row of document.querySelectorAll("tr[id^=log-]")) if (!known.has(row.id)) row.classList.add("row-new");
    }
    for (const id of open) {
      const el = document.getElementById(id);
      if (el && el.tagName === "DETAILS") el.open = true;
    }
    if (focused) {
      const el = document.getElementById(focused);
      if (el && el !== document.activeElement) el.focus({ preventScroll: true });
    }
    updateRelative();
    for (const hook of afterRefresh) hook();
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && pending) {
      pending = false;
      refresh(0);
    }
  });

  const liveStatus = $("#live-status");
  function showLive(text, ok) {
    if (!liveStatus) return;
    liveStatus.hidden = false;
    liveStatus.textContent = text;
    liveStatus.classList.toggle("live-off", !ok);
  }
  let source = null;
  function connect() {
    if (source || !window.EventSource || !document.querySelector("[data-live]")) return;
    const stream = new EventSource("/api/events");
    source = stream;
    let dropped = false;
    const onEvent = () => {
      if (liveEnabled()) refresh();
    };
    for (const name of ["container", "schedule", "docker", "log", "lagged"]) stream.addEventListener(name, onEvent);
    stream.addEventListener("open", () => {
      showLive("Live", true);
      if (dropped) onEvent(); // catch up on what happened while disconnected
      dropped = false;
    });
    stream.addEventListener("error", () => {
      dropped = true;
      if (stream.readyState === EventSource.CLOSED) {
        showLive("Live updates stopped", false);
        stream.close();
        if (source === stream) source = null;
        setTimeout(connect, 15000);
      } else {
        showLive("Reconnecting…", false);
      }
    });
  }
  // A page kept in the back/forward cache would keep its stream open, and browsers allow six
  // connections per host: after a few page changes every new load would stall. Close on leaving,
  // reconnect (and catch up) when the page comes back from the cache.
  window.addEventListener("pagehide", () => {
    if (source) source.close();
    source = null;
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    connect();
    refresh(0);
  });
  connect();

  window.Chrontainer = { api, announce, confirmAction, choose, refresh, refocus, relative, afterRefresh };
})();
