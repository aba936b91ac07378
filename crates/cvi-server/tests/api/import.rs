//! Imported meetings: invites issued by Microsoft's CVI or another provider keep working.

use serde_json::json;

use crate::common::{self, Backend};
use crate::*;

on_both!(
    imported_meetings_resolve_and_imports_are_all_or_none,
    |b: Backend| {
        let s = common::start(b);
        let admin = provision(&s, "t");
        let partner = s.token_with(
            json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}),
        );
        let resolve =
            |body: serde_json::Value| s.call("POST", "/api/v1/resolve", Some(&partner), Some(body));
        let line = |key: &str, id: &str| json!({"meeting_key": key, "provider": "Polycom", "video_id": id, "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"});
        // Before any import: a Video ID without our check digit is refused before any lookup.
        let (st, _) =
            resolve(json!({"dial_string": "813878896@t.plcm.vc", "video_id": "0179885910"}));
        assert_eq!(st, 400);

        // A bad line: nothing is stored, and the detail names it.
        let (st, p) = s.call(
            "POST",
            "/api/v1/meetings:import",
            Some(&admin),
            Some(json!({"meetings": [line("m1", "017988591"), line("m2", "12345")]})),
        );
        assert_eq!(st, 400, "{p}");
        assert!(p["detail"].as_str().unwrap().starts_with("line 2:"), "{p}");
        assert_eq!(s.count("meetings", "t"), 0);

        // Microsoft's 2019 9-digit ID and a 10-digit one starting with 0, no check digit.
        let (st, v) = s.call(
            "POST",
            "/api/v1/meetings:import",
            Some(&admin),
            Some(json!({"meetings": [line("m1", "017988591"), line("m2", "0179885910")]})),
        );
        assert_eq!((st, v["imported"].as_u64()), (200, Some(2)), "{v}");
        let (st, r) = resolve(json!({"dial_string": "sip:813878896.017988591@t.plcm.vc"}));
        assert_eq!((st, r["meeting_key"].as_str()), (200, Some("m1")), "{r}");
        let (st, r) = resolve(json!({"dial_string": "813878896@t.plcm.vc", "dtmf": "0179885910#"}));
        assert_eq!((st, r["meeting_key"].as_str()), (200, Some("m2")), "{r}");
        // Not imported and no check digit of ours: still refused (now after one lookup).
        let (st, _) =
            resolve(json!({"dial_string": "813878896@t.plcm.vc", "video_id": "0179885911"}));
        assert!(st == 400 || st == 404, "{st}");

        // A Video ID live on another meeting of the provider, or a key that exists: refused whole.
        let (st, p) = s.call(
            "POST",
            "/api/v1/meetings:import",
            Some(&admin),
            Some(json!({"meetings": [line("m3", "0123456789"), line("m4", "017988591")]})),
        );
        assert_eq!(st, 409, "{p}");
        assert!(p["detail"].as_str().unwrap().starts_with("line 2:"), "{p}");
        let (st, _) = s.call(
            "POST",
            "/api/v1/meetings:import",
            Some(&admin),
            Some(json!({"meetings": [line("m1", "0123456789")]})),
        );
        assert_eq!(st, 409);
        assert_eq!(
            s.count("meetings", "t"),
            2,
            "nothing of the refused imports was stored"
        );
        // Audited as one entry with the count.
        let (_, audit) = s.call("GET", "/api/v1/audit", Some(&admin), None);
        let imports: Vec<_> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "meeting.import")
            .collect();
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0]["after"]["count"], 2);
        // Admins only.
        let org = s.token("t", "ann@t.example", "organizer");
        let (st, _) = s.call(
            "POST",
            "/api/v1/meetings:import",
            Some(&org),
            Some(json!({"meetings": [line("m9", "0123456789")]})),
        );
        assert_eq!(st, 403);
    }
);
