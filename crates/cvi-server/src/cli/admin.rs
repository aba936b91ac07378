//! The cmdlets over HTTP: `cvi token|provider|policy|consent|inject|meeting|resolve`.

use clap::{Args, Subcommand};
use cvi_core::api::{
    endpoints::{
        AuditQuery, CancelMeeting, ConsentLinksOf, ConsentStatus, CreateBridge, CreateProvider,
        DevToken, EffectiveQuery, FilterQuery, ImportMeetings, InjectState, IssueMeeting,
        ListAudit, ListBridges, ListGrants, ListPolicies, ListProviders, ProviderQuery, PutGrant,
        RemoveBridge, RemoveProvider, Resolve, ResyncInject, ScheduleEvent, SetInject, ShowMeeting,
        ShowPolicy, ShowProvider, UpdateProvider, UserEffectivePolicy,
    },
    no_partner_app_warning, AppIds, AuditPage, GrantRequest, ImportMeeting, ImportRequest,
    InjectRequest, InjectResync, IssueRequest, NewProvider, ProviderView, ResolveRequest, Role,
    SetProvider, TargetKind, TokenRequest,
};
use serde_json::{json, Value};

use super::{
    client::{show, Client},
    CliError,
};

/// `cvi token`: a dev-issuer token (the server must run with --dev-issuer).
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[arg(long)]
    tenant: String,
    /// UPN of the user (or a name for a partner app).
    #[arg(long)]
    user: String,
    /// admin, organizer or partner.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Partner apps: the app id (one of the provider's AadApplicationIds).
    #[arg(long)]
    app_id: Option<String>,
    /// Comma-separated group ids the user belongs to.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// The user's immutable object id (Entra's `oid`), which then owns their meetings.
    #[arg(long)]
    oid: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProviderFields {
    /// Partner help page (https), may hold {ConfId}; empty string clears it (set).
    #[arg(long)]
    instruction_uri: Option<String>,
    /// Partner app ids, separated by ';'.
    #[arg(long)]
    aad_application_ids: Option<String>,
    /// Let partner apps' guest joins count as authenticated.
    #[arg(long)]
    allow_app_guest_joins_as_authenticated: bool,
    /// Where `cvi serve --sip` redirects a call to a meeting: a sip:/sips: template with
    /// {video_id}, {direct_dial}, {tenant_key}; default sip:{direct_dial}; empty = default.
    #[arg(long)]
    sip_gateway: Option<String>,
    /// Where it redirects a call to the IVR ({tenant_key} only); default sip:{tenant_key}.
    #[arg(long)]
    sip_ivr: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Configure a provider (New-CsVideoInteropServiceProvider).
    New {
        /// Polycom, BlueJeans, Pexip or Cisco.
        #[arg(long)]
        name: String,
        /// KEY@DOMAIN, e.g. 813878896@t.plcm.vc.
        #[arg(long)]
        tenant_key: String,
        #[command(flatten)]
        fields: ProviderFields,
    },
    /// Change a provider (Set-CsVideoInteropServiceProvider).
    Set {
        #[arg(long)]
        identity: String,
        #[arg(long)]
        tenant_key: Option<String>,
        #[command(flatten)]
        fields: ProviderFields,
        /// Turn AllowAppGuestJoinsAsAuthenticated off.
        #[arg(long, conflicts_with = "allow_app_guest_joins_as_authenticated")]
        disallow_app_guest_joins_as_authenticated: bool,
    },
    /// Show providers (Get-CsVideoInteropServiceProvider).
    Get {
        #[arg(long, conflicts_with = "filter")]
        identity: Option<String>,
        /// Regular expression over the name.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Remove a provider and everything about it (Remove-CsVideoInteropServiceProvider).
    Remove {
        #[arg(long)]
        identity: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the preconstructed policies (Get-CsTeamsVideoInteropServicePolicy).
    Get {
        #[arg(long, conflicts_with = "filter")]
        identity: Option<String>,
        #[arg(long)]
        filter: Option<String>,
    },
    /// Assign a policy (Grant-CsTeamsVideoInteropServicePolicy); no --policy-name removes the grant.
    Grant {
        /// A user's UPN.
        #[arg(long, group = "target")]
        identity: Option<String>,
        /// A group id (needs --rank).
        #[arg(long, group = "target", requires = "rank")]
        group: Option<String>,
        /// Group rank, 1 = highest; distinct among groups.
        #[arg(long)]
        rank: Option<u32>,
        /// Tenant-wide.
        #[arg(long, group = "target")]
        global: bool,
        #[arg(long)]
        policy_name: Option<String>,
    },
    /// The policy that applies to a user, and why.
    Effective {
        #[arg(long)]
        identity: String,
        #[arg(long)]
        groups: Option<String>,
    },
    /// List the tenant's grants.
    Grants,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// One admin-consent URL per partner app of a provider.
    Link {
        #[arg(long)]
        provider: String,
    },
    /// Which partner apps have consent.
    Status {
        #[arg(long)]
        provider: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InjectCommand {
    /// Turn "coordinates in every Teams meeting" on for the tenant.
    Enable,
    /// Turn it off.
    Disable,
    /// Where it stands: what is missing, subscriptions, the notification queue.
    Status,
    /// Read one user's calendar again (from a day ago to 180 days ahead).
    Resync {
        /// The user's UPN.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Get coordinates for a meeting key (idempotent).
    Issue {
        #[arg(long)]
        key: String,
        #[arg(long)]
        subject: Option<String>,
        /// RFC 3339, e.g. 2027-01-23T09:00:00Z.
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
        /// en, de, fr, es or ja.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Show a meeting's coordinates.
    Show {
        #[arg(long)]
        key: String,
    },
    /// Cancel a meeting: its Video ID stops resolving.
    Cancel {
        #[arg(long)]
        key: String,
    },
    /// Import meetings issued elsewhere (JSON lines: meeting_key, provider, video_id, start,
    /// end [, subject, teams_join_url]); all or none.
    Import {
        /// The JSON-lines file; `-` reads stdin.
        file: std::path::PathBuf,
    },
    /// Schedule a Teams meeting with coordinates in your calendar (the server creates the
    /// event through Microsoft Graph); rerun with the same --key after a failure.
    Schedule {
        #[arg(long)]
        subject: String,
        /// RFC 3339, e.g. 2027-01-23T09:00:00Z.
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
        /// An attendee's e-mail address; repeat for several.
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        #[arg(long, value_parser = ["daily", "weekly"], requires = "until")]
        recurrence: Option<String>,
        /// Last day of the series, YYYY-MM-DD.
        #[arg(long, requires = "recurrence")]
        until: Option<String>,
        /// The meeting key (default: a new one; give the printed one to retry).
        #[arg(long)]
        key: Option<String>,
    },
}

/// Reads an import file: one meeting per non-blank line; a bad line is named.
fn import_lines(file: &std::path::Path) -> Result<(Vec<ImportMeeting>, Vec<usize>), CliError> {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Input(format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", file.display())))?
    };
    let (mut meetings, mut numbers) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let m: ImportMeeting = serde_json::from_str(line)
            .map_err(|e| CliError::Input(format!("{}: line {}: {e}", file.display(), i + 1)))?;
        meetings.push(m);
        numbers.push(i + 1);
    }
    if meetings.is_empty() {
        return Err(CliError::Input(format!(
            "{}: no meetings to import",
            file.display()
        )));
    }
    Ok((meetings, numbers))
}

/// `cvi resolve`: what a partner's IVR or gateway does.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// A direct-dial URI, or the IVR tenant key (with --video-id or --dtmf; alone it
    /// answers `ivr`: play the prompt).
    dial_string: String,
    /// The Video ID typed at the IVR.
    #[arg(long, conflicts_with = "dtmf")]
    video_id: Option<String>,
    /// The Video ID as keyed (`1187204536#`): digits and a final #.
    #[arg(long)]
    dtmf: Option<String>,
    /// Who dialled (SIP From or IP address): rate limits are then kept per caller.
    #[arg(long)]
    caller: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "admin" => Ok(Role::Admin),
        "organizer" => Ok(Role::Organizer),
        "partner" => Ok(Role::Partner),
        _ => Err(format!(
            "{s:?} is not a role: use admin, organizer or partner"
        )),
    }
}

pub fn token(c: &Client, a: TokenArgs, json_out: bool) -> Result<(), CliError> {
    let body = TokenRequest {
        tenant: a.tenant,
        user: a.user,
        role: a.role,
        app_id: a.app_id,
        groups: a.groups,
        oid: a.oid,
    };
    let reply = c.request::<DevToken>(&[], &(), &body)?;
    if json_out {
        show(&reply, true);
    } else {
        println!("{}", reply.token);
    }
    Ok(())
}

/// A provider without partner apps issues coordinates nobody can resolve: say so on stderr.
fn warn_without_apps(p: ProviderView) -> ProviderView {
    if p.aad_application_ids.is_empty() {
        eprintln!("cvi: warning: {}", no_partner_app_warning(&p.name));
    }
    p
}

pub fn provider(c: &Client, cmd: ProviderCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        ProviderCommand::New {
            name,
            tenant_key,
            fields: f,
        } => {
            let body = NewProvider {
                name,
                tenant_key,
                instruction_uri: f.instruction_uri,
                aad_application_ids: f.aad_application_ids.map(AppIds::Joined),
                allow_app_guest_joins_as_authenticated: f
                    .allow_app_guest_joins_as_authenticated
                    .then_some(true),
                sip_gateway: f.sip_gateway,
                sip_ivr: f.sip_ivr,
            };
            let p = c.request::<CreateProvider>(&[], &(), &body)?;
            show(&warn_without_apps(p), json_out);
        }
        ProviderCommand::Set {
            identity,
            tenant_key,
            fields: f,
            disallow_app_guest_joins_as_authenticated,
        } => {
            let allow = match (
                f.allow_app_guest_joins_as_authenticated,
                disallow_app_guest_joins_as_authenticated,
            ) {
                (true, _) => Some(true),
                (false, true) => Some(false),
                (false, false) => None,
            };
            let body = SetProvider {
                tenant_key,
                instruction_uri: f.instruction_uri,
                aad_application_ids: f.aad_application_ids.map(AppIds::Joined),
                allow_app_guest_joins_as_authenticated: allow,
                sip_gateway: f.sip_gateway,
                sip_ivr: f.sip_ivr,
            };
            if body == SetProvider::default() {
                return Err(CliError::Input("nothing to change: give --tenant-key, --instruction-uri, --aad-application-ids, --sip-gateway, --sip-ivr or an --allow flag".into()));
            }
            let p = c.request::<UpdateProvider>(&[&identity], &(), &body)?;
            show(&warn_without_apps(p), json_out);
        }
        ProviderCommand::Get {
            identity: Some(id), ..
        } => show(&c.request::<ShowProvider>(&[&id], &(), &())?, json_out),
        ProviderCommand::Get {
            identity: None,
            filter,
        } => show(
            &c.request::<ListProviders>(&[], &FilterQuery { filter }, &())?,
            json_out,
        ),
        ProviderCommand::Remove { identity } => {
            let removed = c.request::<RemoveProvider>(&[&identity], &(), &())?;
            if json_out {
                show(&removed, true);
            } else {
                println!("{}", removed.message);
            }
        }
    }
    Ok(())
}

pub fn policy(c: &Client, cmd: PolicyCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        PolicyCommand::Get {
            identity: Some(id), ..
        } => show(&c.request::<ShowPolicy>(&[&id], &(), &())?, json_out),
        PolicyCommand::Get {
            identity: None,
            filter,
        } => show(
            &c.request::<ListPolicies>(&[], &FilterQuery { filter }, &())?,
            json_out,
        ),
        PolicyCommand::Grant {
            identity,
            group,
            rank,
            global,
            policy_name,
        } => {
            let (target, identity) = match (identity, group, global) {
                (Some(upn), None, false) => (TargetKind::User, Some(upn)),
                (None, Some(g), false) => (TargetKind::Group, Some(g)),
                (None, None, true) => (TargetKind::Global, None),
                _ => {
                    return Err(CliError::Input(
                        "give exactly one of --identity UPN, --group ID --rank N, --global".into(),
                    ))
                }
            };
            let body = GrantRequest {
                target,
                identity,
                rank: rank.filter(|_| target == TargetKind::Group),
                policy_name,
            };
            let outcome = c.request::<PutGrant>(&[], &(), &body)?;
            if json_out {
                show(&outcome, true);
            } else {
                match (&outcome.grant, &outcome.previous) {
                    (Some(g), _) => println!("granted {}", g.policy_name),
                    (None, Some(prev)) => println!("removed grant of {}", prev.policy_name),
                    (None, None) => println!("removed grant of ?"),
                }
            }
        }
        PolicyCommand::Effective { identity, groups } => {
            let e =
                c.request::<UserEffectivePolicy>(&[&identity], &EffectiveQuery { groups }, &())?;
            if json_out {
                show(&e, true);
            } else {
                println!(
                    "{}: {} ({}, provider {})\nwhy: {}",
                    e.user,
                    e.policy.identity,
                    if e.policy.enabled {
                        "enabled"
                    } else {
                        "disabled"
                    },
                    e.policy.provider_name,
                    e.reason
                );
            }
        }
        PolicyCommand::Grants => show(&c.request::<ListGrants>(&[], &(), &())?, json_out),
    }
    Ok(())
}

pub fn inject(c: &Client, cmd: InjectCommand, json_out: bool) -> Result<(), CliError> {
    let status = match cmd {
        InjectCommand::Enable => {
            c.request::<SetInject>(&[], &(), &InjectRequest { enabled: true })?
        }
        InjectCommand::Disable => {
            c.request::<SetInject>(&[], &(), &InjectRequest { enabled: false })?
        }
        InjectCommand::Status => c.request::<InjectState>(&[], &(), &())?,
        InjectCommand::Resync { user } => {
            let r = c.request::<ResyncInject>(&[], &(), &InjectResync { user })?;
            if json_out {
                show(&r, true);
            } else {
                println!(
                    "{}: {} events queued to be looked at again",
                    r.user, r.queued
                );
            }
            return Ok(());
        }
    };
    if json_out {
        show(&status, true);
        return Ok(());
    }
    println!(
        "Coordinates in every Teams meeting: {}",
        if status.enabled {
            "enabled"
        } else {
            "disabled"
        }
    );
    println!(
        "Subscriptions: {} ({} expiring within a day); notifications waiting: {}{}",
        status.subscriptions,
        status.subscriptions_expiring,
        status.queue_depth,
        status
            .oldest_waiting
            .as_deref()
            .map(|t| format!(" (oldest {t})"))
            .unwrap_or_default()
    );
    if status.subscriptions_failed > 0 {
        println!(
            "Subscriptions Graph refused: {} ({}); tried again every minute",
            status.subscriptions_failed,
            status.last_failure.as_deref().unwrap_or("no reason given")
        );
    }
    for m in &status.missing {
        println!("Missing: {m}");
    }
    if let Some(url) = &status.consent_url {
        println!("Admin consent for this service's app:\n  {url}");
    }
    if !status.recent.is_empty() {
        let rows: Vec<Value> = status
            .recent
            .iter()
            .map(|o| json!({"at": o.at, "user": o.user, "outcome": o.outcome, "event": o.event_id}))
            .collect();
        super::client::print(&Value::Array(rows), false);
    }
    Ok(())
}

pub fn consent(c: &Client, cmd: ConsentCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        ConsentCommand::Link { provider } => {
            let links = c.request::<ConsentLinksOf>(
                &[],
                &ProviderQuery {
                    provider: Some(provider),
                },
                &(),
            )?;
            if json_out {
                show(&links, true);
                return Ok(());
            }
            for l in &links.links {
                let done = if l.consented {
                    " (already consented)"
                } else {
                    ""
                };
                println!("{}{done}\n  {}", l.app_id, l.url);
            }
        }
        ConsentCommand::Status { provider } => {
            let providers = c.request::<ConsentStatus>(&[], &ProviderQuery { provider }, &())?;
            if json_out {
                show(&providers, true);
                return Ok(());
            }
            // One row per partner app reads better than a nested list per provider.
            for w in providers.iter().filter_map(|p| p.warning.as_ref()) {
                eprintln!("cvi: warning: {w}");
            }
            let rows: Vec<Value> = providers
                .iter()
                .flat_map(|p| {
                    p.apps.iter().map(move |a| {
                        // Per permission once Graph confirmed it; else whether it was.
                        let checked = if a.verified {
                            let missing: Vec<&str> = a
                                .permissions
                                .iter()
                                .filter(|p| !p.granted)
                                .map(|p| p.name.as_str())
                                .collect();
                            if missing.is_empty() {
                                "all 4 permissions".to_string()
                            } else {
                                format!("missing {}", missing.join(", "))
                            }
                        } else {
                            "not verified (no Graph access)".to_string()
                        };
                        json!({"provider": p.provider, "app_id": a.app_id, "consented": a.consented,
                               "graph": checked, "error": a.error})
                    })
                })
                .collect();
            super::client::print(&Value::Array(rows), false);
        }
    }
    Ok(())
}

pub fn meeting(c: &Client, cmd: MeetingCommand, json_out: bool) -> Result<(), CliError> {
    let m = match cmd {
        MeetingCommand::Issue {
            key,
            subject,
            start,
            end,
            lang,
        } => c.request::<IssueMeeting>(
            &[],
            &(),
            &IssueRequest {
                meeting_key: key,
                subject,
                start,
                end,
                series_end: None,
                lang,
                teams_join_url: None,
            },
        )?,
        MeetingCommand::Show { key } => c.request::<ShowMeeting>(&[&key], &(), &())?,
        MeetingCommand::Import { file } => {
            let (meetings, numbers) = import_lines(&file)?;
            // The server names the n-th meeting; the user knows the file's line numbers.
            let renumber = |msg: String| match msg
                .strip_prefix("line ")
                .and_then(|r| r.split_once(':'))
                .and_then(|(n, rest)| {
                    Some((numbers.get(n.parse::<usize>().ok()?.checked_sub(1)?)?, rest))
                }) {
                Some((line, rest)) => format!("{}: line {line}:{rest}", file.display()),
                None => msg,
            };
            let imported = c
                .request::<ImportMeetings>(&[], &(), &ImportRequest { meetings })
                .map_err(|e| match e {
                    CliError::Input(m) => CliError::Input(renumber(m)),
                    CliError::Failure(m) => CliError::Failure(renumber(m)),
                })?;
            if json_out {
                show(&imported, true);
            } else {
                println!("imported {} meetings", imported.imported);
            }
            return Ok(());
        }
        MeetingCommand::Schedule {
            subject,
            start,
            end,
            attendees,
            recurrence,
            until,
            key,
        } => {
            let key = key.unwrap_or_else(|| format!("cvi-{:032x}", rand::random::<u128>()));
            let recurrence = match (recurrence.as_deref(), until) {
                (Some(p), Some(until)) => Some(cvi_core::api::Recurrence {
                    pattern: if p == "daily" {
                        cvi_core::api::RecurrencePattern::Daily
                    } else {
                        cvi_core::api::RecurrencePattern::Weekly
                    },
                    until,
                }),
                _ => None,
            };
            let body = cvi_core::api::ScheduleRequest {
                meeting_key: key.clone(),
                subject,
                start,
                end,
                attendees,
                recurrence,
                lang: None,
            };
            let scheduled = c.request::<ScheduleEvent>(&[], &(), &body).inspect_err(|e| {
                if matches!(e, CliError::Failure(_)) {
                    eprintln!("cvi: to retry, run it again with --key {key} (the same meeting and Video ID, never a second event)");
                }
            })?;
            show(&scheduled, json_out);
            return Ok(());
        }
        MeetingCommand::Cancel { key } => c.request::<CancelMeeting>(&[&key], &(), &())?,
    };
    show(&m, json_out);
    Ok(())
}

pub fn resolve(c: &Client, a: ResolveArgs, json_out: bool) -> Result<(), CliError> {
    let body = ResolveRequest {
        dial_string: a.dial_string,
        video_id: a.video_id,
        dtmf: a.dtmf,
        caller: a.caller,
    };
    show(&c.request::<Resolve>(&[], &(), &body)?, json_out);
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum BridgeCommand {
    /// Create credentials for a Pexip Infinity bridge (its external policy server login);
    /// the secret is printed once.
    New {
        /// The provider whose calls the bridge routes.
        #[arg(long)]
        provider: String,
        /// The Teams Connector's name on the bridge (sent as teams_proxy_name).
        #[arg(long)]
        teams_connector: Option<String>,
    },
    /// List this tenant's bridge credentials (never the secrets).
    List,
    /// Revoke a bridge's credentials.
    Remove {
        #[arg(long)]
        username: String,
    },
}

pub fn bridge(c: &Client, cmd: BridgeCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        BridgeCommand::New {
            provider,
            teams_connector,
        } => {
            let body = cvi_core::api::NewBridge {
                provider,
                teams_connector,
            };
            let created = c.request::<CreateBridge>(&[], &(), &body)?;
            if !json_out {
                eprintln!(
                    "cvi: the secret is shown only now; enter it on the bridge as the policy server's password"
                );
            }
            show(&created, json_out);
        }
        BridgeCommand::List => show(&c.request::<ListBridges>(&[], &(), &())?, json_out),
        BridgeCommand::Remove { username } => show(
            &c.request::<RemoveBridge>(&[&username], &(), &())?,
            json_out,
        ),
    }
    Ok(())
}

/// `cvi audit`: the audit log, newest first (`GET /api/v1/audit`).
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this actor's entries, exactly as recorded (admin@contoso.com).
    #[arg(long)]
    actor: Option<String>,
    /// Only actions that start with this (grant, provider.new, meeting.issue).
    #[arg(long)]
    action: Option<String>,
    /// Entries at or after this time: RFC 3339 (2027-01-23T09:00:00Z) or a UTC day
    /// (2027-01-23).
    #[arg(long)]
    since: Option<String>,
    /// Entries before this time: RFC 3339, or a UTC day (through its end).
    #[arg(long)]
    until: Option<String>,
    /// Entries per page, 1-500.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    limit: u32,
    /// Start below this entry: the `next` a previous page gave.
    #[arg(long)]
    before: Option<String>,
    /// Every matching entry, page after page (progress on stderr).
    #[arg(long)]
    all: bool,
}

pub fn audit(c: &Client, a: AuditArgs, json_out: bool) -> Result<(), CliError> {
    let mut query = AuditQuery {
        limit: Some(a.limit),
        before: a.before.clone(),
        actor: a.actor,
        action: a.action,
        since: a.since,
        until: a.until,
    };
    let mut entries = Vec::new();
    let mut pages = 0;
    loop {
        let page = c.request::<ListAudit<Value>>(&[], &query, &())?;
        pages += 1;
        entries.extend(page.entries);
        query.before = page.next;
        match &query.before {
            Some(_) if a.all => {
                eprintln!("cvi: {} entries read ({pages} pages)…", entries.len())
            }
            Some(next) => {
                if !json_out {
                    eprintln!("cvi: there are older entries: add --before {next} (or --all)");
                }
                break;
            }
            None => break,
        }
    }
    if json_out {
        // The API's page shape, so a script reads one page or --all the same way.
        show(
            &AuditPage {
                entries,
                next: query.before,
            },
            true,
        );
        return Ok(());
    }
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "at": cvi_core::times::format_ms(e.at),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
            })
        })
        .collect();
    super::client::print(&Value::Array(rows), false);
    Ok(())
}
