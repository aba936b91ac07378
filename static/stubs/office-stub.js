// A recording stand-in for Office.js (appointment organizer compose), for the browser
// end-to-end tests only: Outlook itself cannot run here. It answers the calls the add-in
// makes the way Outlook does (callbacks with { status, value }) and records each call in
// window.__officeCalls. Its starting state comes from /stubs/config.json, which the test
// rewrites before each page load (read synchronously and uncached, so it is there before
// the add-in starts); `null` there means no Office at all: the standalone scheduler.
(function () {
  if (window.__cviStub === undefined) {
    const x = new XMLHttpRequest();
    x.open("GET", "/stubs/config.json?" + Date.now(), false);
    x.send();
    window.__cviStub = x.status === 200 ? JSON.parse(x.responseText) : null;
  }
  const cfg = window.__cviStub;
  // No config, or a Teams page (teams-stub.js): no Office.
  if (!cfg || cfg.teams) return;
  cfg.props = cfg.props || {};
  cfg.notices = [];
  const calls = (window.__officeCalls = []);
  window.__officeActions = {};
  const ok = (value) => ({ status: "succeeded", value });
  const failed = (name, message) => ({ status: "failed", error: { name, message } });
  // Office methods take (args..., [options], callback).
  const last = (args) => (typeof args[args.length - 1] === "function" ? args[args.length - 1] : () => {});
  const later = (fn) => setTimeout(fn, 5);
  const record = (name, args) => calls.push({ name, args: args.filter((a) => typeof a !== "function") });

  const item = {
    itemType: "appointment",
    subject: { getAsync(...a) { record("subject.getAsync", a); later(() => last(a)(ok(cfg.subject))); } },
    start: { getAsync(...a) { record("start.getAsync", a); later(() => last(a)(ok(new Date(cfg.start)))); } },
    end: { getAsync(...a) { record("end.getAsync", a); later(() => last(a)(ok(new Date(cfg.end)))); } },
    // A series with an end date when the config has seriesEnd ("YYYY-MM-DD"), one without
    // when it has endless: true (getEndDate() is null, as Outlook answers), else null.
    recurrence: {
      getAsync(...a) {
        record("recurrence.getAsync", a);
        const rec = cfg.seriesEnd
          ? { seriesTime: { getEndDate: () => cfg.seriesEnd } }
          : cfg.endless
            ? { seriesTime: { getEndDate: () => null } }
            : null;
        later(() => last(a)(ok(rec)));
      },
    },
    location: {
      getAsync(...a) { record("location.getAsync", a); later(() => last(a)(ok(cfg.location))); },
      setAsync(value, ...a) {
        record("location.setAsync", [value]);
        if (value.length > 255) return later(() => last(a)(failed("DataExceedsMaximumSize", "location over 255 characters")));
        cfg.location = value;
        later(() => last(a)(ok()));
      },
    },
    body: {
      getTypeAsync(...a) { record("body.getTypeAsync", a); later(() => last(a)(ok(cfg.bodyType))); },
      getAsync(type, ...a) { record("body.getAsync", [type]); later(() => last(a)(ok(cfg.body))); },
      setAsync(data, ...a) {
        const opts = typeof a[0] === "object" ? a[0] : {};
        record("body.setAsync", [{ coercionType: opts.coercionType, length: data.length }]);
        if (data.length > 1000000) return later(() => last(a)(failed("DataExceedsMaximumSize", "body over 1,000,000 characters")));
        if (opts.coercionType && opts.coercionType !== cfg.bodyType) return later(() => last(a)(failed("InvalidFormatError", "coercion type does not match the body")));
        cfg.body = data;
        later(() => last(a)(ok()));
      },
    },
    loadCustomPropertiesAsync(...a) {
      record("loadCustomPropertiesAsync", a);
      const staged = Object.assign({}, cfg.props);
      const props = {
        get: (n) => staged[n],
        set: (n, v) => { staged[n] = String(v); },
        remove: (n) => { delete staged[n]; },
        saveAsync: (...s) => { record("customProperties.saveAsync", [staged]); cfg.props = Object.assign({}, staged); later(() => last(s)(ok())); },
      };
      later(() => last(a)(ok(props)));
    },
    notificationMessages: {
      replaceAsync(key, details, ...a) { record("notificationMessages.replaceAsync", [key, details]); cfg.notices.push(details); later(() => last(a)(ok())); },
    },
  };

  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Html: "html", Text: "text" },
    HostType: { Outlook: "Outlook" },
    onReady(cb) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      if (cb) later(() => cb(info));
      return Promise.resolve(info);
    },
    context: {
      displayLanguage: cfg.locale || "en-US",
      officeTheme: cfg.background ? { bodyBackgroundColor: cfg.background } : undefined,
      mailbox: { item },
    },
    auth: {
      getAccessToken(opts) {
        record("auth.getAccessToken", [opts]);
        return cfg.token ? Promise.resolve(cfg.token) : Promise.reject({ code: 13001, message: "The user is not signed in." });
      },
    },
    actions: { associate(name, fn) { record("actions.associate", [name]); window.__officeActions[name] = fn; } },
  };
})();
