// teams-js, wrapped for wasm-bindgen. The only file of the add-in that names
// `microsoftTeams`: detection, theme, locale and the SSO token.

const TEAMS_JS = "https://res.cdn.office.net/teams-js/2.34.0/js/MicrosoftTeams.min.js";

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(s);
  });
}

// Resolves to { theme, locale } inside Teams, null outside (initialize never answers
// outside Teams, hence the timeout).
export async function teamsReady(load, timeoutMs) {
  if (typeof microsoftTeams === "undefined") {
    if (!load) return null;
    await loadScript(TEAMS_JS);
  }
  const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), timeoutMs));
  const init = microsoftTeams.app.initialize().then(() => "ok");
  if ((await Promise.race([init, timeout])) !== "ok") return null;
  const ctx = await microsoftTeams.app.getContext();
  return {
    theme: String((ctx.app && ctx.app.theme) || "default"),
    locale: String((ctx.app && ctx.app.locale) || navigator.language || "en"),
  };
}

export function onThemeChange(handler) {
  microsoftTeams.app.registerOnThemeChangeHandler((t) => handler(String(t)));
}

export function authToken() {
  return microsoftTeams.authentication.getAuthToken();
}
