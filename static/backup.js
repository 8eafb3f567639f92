// Settings, "Restore from file": a dry run first (POST /api/import?dry_run=true), the diff shown,
// then the same file imported on confirmation, in the mode that was previewed (ticking "Also
// remove…" after the preview changes nothing until the file is previewed again). File text is
// shown with textContent only.
(() => {
  "use strict";
  const C = window.Chrontainer;
  const $ = (s) => document.querySelector(s);
  const form = $("#restore-form");
  if (!C || !form) return;
  // the previewed document and its mode
  let pending = null;

  const url = (mode, dryRun) => `/api/import?mode=${mode}${dryRun ? "&dry_run=true" : ""}`;
  const name = (i) => `${i.action} ${i.container} (${i.cron || i.run_at || ""})`;

  function show(report) {
    const n = (k) => report[k].length;
    $("#restore-summary").textContent =
      `${n("created")} to create, ${n("updated")} to update, ${n("unchanged")} unchanged, ` +
      `${n("removed")} to remove, ${n("skipped")} skipped, ${n("errors")} with errors.`;
    const list = $("#restore-details");
    list.replaceChildren();
    const add = (text) => {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    };
    for (const k of ["created", "updated", "removed"]) report[k].forEach((i) => add(`${k}: ${name(i)}`));
    report.skipped.forEach((s) => add(`skipped: ${name(s)}: ${s.reason}`));
    report.errors.forEach((s) => add(`error: ${name(s)}: ${s.reason}`));
    $("#restore-diff").hidden = false;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("#restore-file").files[0];
    if (!file) return;
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (err) {
      C.announce("That file is not JSON.", "bad");
      return;
    }
    const mode = $("#restore-replace").checked ? "replace" : "merge";
    const r = await C.api("POST", url(mode, true), doc);
    if (!r.ok) return C.announce(r.error.message, "bad");
    pending = { doc, mode };
    show(r.data);
  });
  $("#restore-confirm").addEventListener("click", async () => {
    if (!pending) return;
    const r = await C.api("POST", url(pending.mode, false), pending.doc);
    pending = null;
    $("#restore-diff").hidden = true;
    if (!r.ok) return C.announce(r.error.message, "bad");
    C.announce(`Restored: ${r.data.created.length} created, ${r.data.updated.length} updated, ${r.data.removed.length} removed.`, "ok");
  });
  $("#restore-cancel").addEventListener("click", () => {
    pending = null;
    $("#restore-diff").hidden = true;
  });
})();
