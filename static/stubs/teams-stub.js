// A recording stand-in for teams-js (microsoftTeams), for the browser end-to-end tests
// only: Teams itself cannot run here. Active when /stubs/config.json has a "teams" object
// ({ theme, locale, token }); records calls in window.__teamsCalls and keeps the theme
// handler in window.__teamsThemeHandler so a test can switch the theme.
(function () {
  if (window.__cviStub === undefined) {
    const x = new XMLHttpRequest();
    x.open("GET", "/stubs/config.json?" + Date.now(), false);
    x.send();
    window.__cviStub = x.status === 200 ? JSON.parse(x.responseText) : null;
  }
  const cfg = window.__cviStub && window.__cviStub.teams;
  if (!cfg) return;
  const calls = (window.__teamsCalls = []);
  window.microsoftTeams = {
    app: {
      initialize() { calls.push("app.initialize"); return Promise.resolve(); },
      getContext() {
        calls.push("app.getContext");
        return Promise.resolve({ app: { theme: cfg.theme, locale: cfg.locale, host: { name: "Teams" } } });
      },
      registerOnThemeChangeHandler(fn) { calls.push("app.registerOnThemeChangeHandler"); window.__teamsThemeHandler = fn; },
    },
    authentication: {
      getAuthToken() { calls.push("authentication.getAuthToken"); return Promise.resolve(cfg.token); },
    },
  };
})();
