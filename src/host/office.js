// Office.js, wrapped in Promises for wasm-bindgen. The only file of the add-in that names
// `Office`; Rust sees these functions through the externs in outlook.rs.

const OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(s);
  });
}

// Resolves to the host name ("Outlook", ...) or null outside Office.
export async function officeReady(load) {
  if (typeof Office === "undefined") {
    if (!load) return null;
    await loadScript(OFFICE_JS);
  }
  const info = await Office.onReady();
  const item = Office.context && Office.context.mailbox && Office.context.mailbox.item;
  return info && info.host && item ? String(info.host) : null;
}

function item() {
  return Office.context.mailbox.item;
}

// Office's callback style -> a Promise of the value, or a rejection with its message.
function call(fn) {
  return new Promise((resolve, reject) => {
    fn((r) => {
      if (r.status === "succeeded" || r.status === Office.AsyncResultStatus?.Succeeded) {
        resolve(r.value);
      } else {
        reject(new Error((r.error && (r.error.message || r.error.name)) || "Office call failed"));
      }
    });
  });
}

export function displayLanguage() {
  return (Office.context && Office.context.displayLanguage) || navigator.language || "en";
}

// The Office theme's body background, when the host reports one.
export function themeBackground() {
  const t = Office.context && Office.context.officeTheme;
  return (t && t.bodyBackgroundColor) || null;
}

export function accessToken() {
  return Office.auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true });
}

export function getSubject() {
  return call((cb) => item().subject.getAsync(cb));
}

// RFC 3339 UTC strings; Outlook returns Dates.
export async function getStart() {
  return (await call((cb) => item().start.getAsync(cb))).toISOString();
}

export async function getEnd() {
  return (await call((cb) => item().end.getAsync(cb))).toISOString();
}

// { kind: "html" | "text", value }
export async function getBody() {
  const kind = await call((cb) => item().body.getTypeAsync(cb));
  const value = await call((cb) => item().body.getAsync(kind, cb));
  return { kind: String(kind).toLowerCase(), value };
}

export function setBody(kind, value) {
  return call((cb) => item().body.setAsync(value, { coercionType: kind }, cb));
}

// The last day of a recurring series as RFC 3339 UTC (end of that day); "" for a series
// without an end date; null for a single meeting.
export async function getSeriesEnd() {
  const rec = await call((cb) => item().recurrence.getAsync(cb));
  if (!rec) return null;
  const day = rec.seriesTime && rec.seriesTime.getEndDate();
  return day ? `${day}T23:59:59Z` : "";
}

export function getLocation() {
  return call((cb) => item().location.getAsync(cb));
}

export function setLocation(value) {
  return call((cb) => item().location.setAsync(value, cb));
}

export async function getCustomProperty(name) {
  const props = await call((cb) => item().loadCustomPropertiesAsync(cb));
  const v = props.get(name);
  return v === undefined || v === null ? null : String(v);
}

// Sets (or with null removes) one custom property and saves it with the item.
export async function setCustomProperty(name, value) {
  const props = await call((cb) => item().loadCustomPropertiesAsync(cb));
  if (value === null || value === undefined) props.remove(name);
  else props.set(name, value);
  await call((cb) => props.saveAsync(cb));
}

// kind: "info" | "error"
export function notify(kind, message) {
  const msg = message.length > 150 ? message.slice(0, 149) + "…" : message;
  const details =
    kind === "error"
      ? { type: "errorMessage", message: msg }
      : { type: "informationalMessage", message: msg, icon: "Icon.16x16", persistent: false };
  return call((cb) => item().notificationMessages.replaceAsync("cvi", details, cb));
}

// The no-UI command: Office calls `name` with an event that must be completed.
export function associate(name, handler) {
  const run = (event) => {
    Promise.resolve(handler()).finally(() => event.completed());
  };
  if (Office.actions && Office.actions.associate) Office.actions.associate(name, run);
  // Classic XML manifests look the function up on the global object.
  globalThis[name] = run;
}
