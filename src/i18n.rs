//! The add-in's own words in en, de, fr, es and ja (the block's words live in cvi-core).
//! A table of `&'static str` costs a few KB of wasm; a message-format engine would cost more
//! than the whole UI.

use cvi_core::invite::Lang;

/// Declares [`Key`], each key's words as a constant of [`rows`] and the lookup by key,
/// from one list. `t(lang, key)` is how pages say things; a page that must stay small and
/// says few (the command) names its rows (`pick(lang, rows::Added)`), and so links those
/// rows and not the whole table in five languages.
macro_rules! table {
    ($($key:ident => $row:expr,)*) => {
        /// Every UI string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key {
            $($key,)*
        }

        /// Each key's words, `[en, de, fr, es, ja]`.
        #[allow(non_upper_case_globals)]
        pub mod rows {
            $(pub const $key: [&str; 5] = $row;)*
        }

        fn words(key: Key) -> [&'static str; 5] {
            match key {
                $(Key::$key => rows::$key,)*
            }
        }
    };
}

table! {
    Title => [
        "Video conferencing details",
        "Videokonferenzdetails",
        "Détails de visioconférence",
        "Detalles de videoconferencia",
        "ビデオ会議の詳細",
    ],
    Intro => [
        "Room systems (SIP/H.323) join this Teams meeting with these details.",
        "Raumsysteme (SIP/H.323) nehmen mit diesen Angaben an dieser Teams-Besprechung teil.",
        "Les systèmes de salle (SIP/H.323) rejoignent cette réunion Teams avec ces informations.",
        "Los sistemas de sala (SIP/H.323) se unen a esta reunión de Teams con estos datos.",
        "会議室システム (SIP/H.323) はこの情報で Teams 会議に参加します。",
    ],
    Loading => ["Loading…", "Wird geladen…", "Chargement…", "Cargando…", "読み込み中…"],
    Working => ["Working…", "Wird ausgeführt…", "En cours…", "Procesando…", "処理中…"],
    Provider => ["Provider", "Anbieter", "Fournisseur", "Proveedor", "プロバイダー"],
    Add => [
        "Add video conferencing details",
        "Videokonferenzdetails hinzufügen",
        "Ajouter les détails de visioconférence",
        "Agregar detalles de videoconferencia",
        "ビデオ会議の詳細を追加",
    ],
    Update => ["Update", "Aktualisieren", "Mettre à jour", "Actualizar", "更新"],
    Remove => ["Remove", "Entfernen", "Supprimer", "Quitar", "削除"],
    Added => [
        "Video conferencing details added to the invite.",
        "Videokonferenzdetails wurden der Einladung hinzugefügt.",
        "Détails de visioconférence ajoutés à l’invitation.",
        "Se agregaron los detalles de videoconferencia a la invitación.",
        "ビデオ会議の詳細を招待に追加しました。",
    ],
    Updated => [
        "Video conferencing details updated.",
        "Videokonferenzdetails wurden aktualisiert.",
        "Détails de visioconférence mis à jour.",
        "Detalles de videoconferencia actualizados.",
        "ビデオ会議の詳細を更新しました。",
    ],
    Removed => [
        "Video conferencing details removed.",
        "Videokonferenzdetails wurden entfernt.",
        "Détails de visioconférence supprimés.",
        "Se quitaron los detalles de videoconferencia.",
        "ビデオ会議の詳細を削除しました。",
    ],
    NotEnabled => [
        "Video conferencing is not enabled for you — ask your admin for a video interop policy.",
        "Videokonferenzen sind für Sie nicht aktiviert – bitten Sie Ihren Administrator um eine Video-Interop-Richtlinie.",
        "La visioconférence n’est pas activée pour vous — demandez à votre administrateur une stratégie d’interopérabilité vidéo.",
        "La videoconferencia no está habilitada para usted: pida a su administrador una directiva de interoperabilidad de vídeo.",
        "ビデオ会議は有効になっていません。管理者にビデオ相互運用ポリシーを依頼してください。",
    ],
    ProviderMissing => [
        "Your organization has not set up its video conferencing provider yet — ask your admin.",
        "Ihre Organisation hat ihren Videokonferenzanbieter noch nicht eingerichtet – wenden Sie sich an Ihren Administrator.",
        "Votre organisation n’a pas encore configuré son fournisseur de visioconférence — contactez votre administrateur.",
        "Su organización aún no ha configurado su proveedor de videoconferencia: consulte a su administrador.",
        "組織のビデオ会議プロバイダーがまだ設定されていません。管理者に問い合わせてください。",
    ],
    ConsentMissing => [
        "Your admin still has to approve the video conferencing partner’s apps (admin consent).",
        "Ihr Administrator muss die Apps des Videokonferenzpartners noch genehmigen (Administratorzustimmung).",
        "Votre administrateur doit encore approuver les applications du partenaire de visioconférence (consentement administrateur).",
        "Su administrador todavía debe aprobar las aplicaciones del socio de videoconferencia (consentimiento de administrador).",
        "管理者がビデオ会議パートナーのアプリをまだ承認していません (管理者の同意)。",
    ],
    Unreachable => [
        "The video conferencing service cannot be reached. Check your connection and try again.",
        "Der Videokonferenzdienst ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
        "Le service de visioconférence est injoignable. Vérifiez votre connexion et réessayez.",
        "No se puede acceder al servicio de videoconferencia. Compruebe la conexión y vuelva a intentarlo.",
        "ビデオ会議サービスに接続できません。接続を確認してもう一度お試しください。",
    ],
    BodyTooLarge => [
        "The invite is too long to add the details (Outlook allows 1,000,000 characters). Shorten it and try again.",
        "Die Einladung ist zu lang für die Details (Outlook erlaubt 1.000.000 Zeichen). Kürzen Sie sie und versuchen Sie es erneut.",
        "L’invitation est trop longue pour ajouter les détails (Outlook autorise 1 000 000 caractères). Raccourcissez-la et réessayez.",
        "La invitación es demasiado larga para agregar los detalles (Outlook permite 1.000.000 caracteres). Acórtela y vuelva a intentarlo.",
        "招待が長すぎて詳細を追加できません (Outlook の上限は 1,000,000 文字)。短くしてもう一度お試しください。",
    ],
    SignInFailed => [
        "You could not be signed in to the video conferencing service.",
        "Die Anmeldung beim Videokonferenzdienst ist fehlgeschlagen.",
        "La connexion au service de visioconférence a échoué.",
        "No se pudo iniciar sesión en el servicio de videoconferencia.",
        "ビデオ会議サービスにサインインできませんでした。",
    ],
    Failed => [
        "That did not work:",
        "Das hat nicht funktioniert:",
        "Cela n’a pas fonctionné :",
        "No funcionó:",
        "処理できませんでした:",
    ],
    TryAgain => ["Try again", "Erneut versuchen", "Réessayer", "Reintentar", "再試行"],
    Foreign => [
        "This invite already has video conferencing details that your organization’s scheduler did not issue. Replace them with yours?",
        "Diese Einladung enthält bereits Videokonferenzdetails, die nicht von Ihrer Organisation stammen. Durch Ihre ersetzen?",
        "Cette invitation contient déjà des détails de visioconférence qui ne viennent pas de votre organisation. Les remplacer par les vôtres ?",
        "Esta invitación ya tiene detalles de videoconferencia que no emitió su organización. ¿Reemplazarlos por los suyos?",
        "この招待には、組織が発行していないビデオ会議の詳細がすでに含まれています。置き換えますか?",
    ],
    TimesChanged => [
        "The meeting’s time changed after its details were added. Select Update so the video conferencing service knows.",
        "Die Besprechungszeit hat sich geändert, seit die Details hinzugefügt wurden. Wählen Sie „Aktualisieren“, damit der Videokonferenzdienst sie kennt.",
        "L’heure de la réunion a changé depuis l’ajout des détails. Sélectionnez « Mettre à jour » pour en informer le service de visioconférence.",
        "La hora de la reunión cambió después de agregar los detalles. Seleccione Actualizar para que el servicio de videoconferencia lo sepa.",
        "詳細の追加後に会議の時刻が変更されました。ビデオ会議サービスに反映するには [更新] を選択してください。",
    ],
    Replace => ["Replace them", "Ersetzen", "Les remplacer", "Reemplazarlos", "置き換える"],
    ForeignOnRemove => [
        "Your video conferencing details are removed. The invite also has details that your organization’s scheduler did not issue. Remove them too?",
        "Ihre Videokonferenzdetails wurden entfernt. Die Einladung enthält auch Details, die nicht von Ihrer Organisation stammen. Diese ebenfalls entfernen?",
        "Vos détails de visioconférence ont été supprimés. L’invitation contient aussi des détails qui ne viennent pas de votre organisation. Les supprimer aussi ?",
        "Se quitaron sus detalles de videoconferencia. La invitación también tiene detalles que no emitió su organización. ¿Quitarlos también?",
        "ビデオ会議の詳細を削除しました。この招待には、組織が発行していない詳細も含まれています。これらも削除しますか?",
    ],
    LocationFull => [
        "The address room systems dial did not fit in the location (Outlook allows 255 characters), so it is only in the invite.",
        "Die Adresse für Videokonferenzsysteme passte nicht in den Ort (Outlook erlaubt 255 Zeichen); sie steht nur in der Einladung.",
        "L’adresse que composent les salles de visioconférence ne tenait pas dans le lieu (Outlook accepte 255 caractères) : elle figure seulement dans l’invitation.",
        "La dirección que marcan los sistemas de sala no cabía en la ubicación (Outlook admite 255 caracteres), así que solo está en la invitación.",
        "ビデオ会議室システムがダイヤルするアドレスは場所に収まりませんでした (Outlook は 255 文字まで)。招待にのみ記載されています。",
    ],
    RemoveToo => ["Remove them too", "Ebenfalls entfernen", "Les supprimer aussi", "Quitarlos también", "これらも削除する"],
    Keep => ["Keep them", "Beibehalten", "Les conserver", "Conservarlos", "そのままにする"],
    TenantKey => ["Tenant key", "Mandantenschlüssel", "Clé de locataire", "Clave de inquilino", "テナント キー"],
    VideoId => ["Video ID", "Video-ID", "ID vidéo", "Id. de vídeo", "ビデオ ID"],
    DirectDial => ["Direct dial", "Direktwahl", "Numérotation directe", "Marcado directo", "直接ダイヤル"],
    MoreInfo => ["More info", "Weitere Informationen", "Plus d’informations", "Más información", "詳細情報"],
    Subject => ["Subject", "Betreff", "Objet", "Asunto", "件名"],
    Start => ["Start", "Beginn", "Début", "Inicio", "開始"],
    End => ["End", "Ende", "Fin", "Fin", "終了"],
    Attendees => [
        "Attendees (e-mail addresses, separated by commas)",
        "Teilnehmer (E-Mail-Adressen, durch Kommas getrennt)",
        "Participants (adresses e-mail, séparées par des virgules)",
        "Asistentes (direcciones de correo separadas por comas)",
        "出席者 (メール アドレス、コンマ区切り)",
    ],
    GetDetails => [
        "Get video conferencing details",
        "Videokonferenzdetails abrufen",
        "Obtenir les détails de visioconférence",
        "Obtener detalles de videoconferencia",
        "ビデオ会議の詳細を取得",
    ],
    DownloadIcs => [
        "Download .ics",
        ".ics herunterladen",
        "Télécharger le .ics",
        "Descargar .ics",
        ".ics をダウンロード",
    ],
    Copy => ["Copy", "Kopieren", "Copier", "Copiar", "コピー"],
    Copied => ["Copied", "Kopiert", "Copié", "Copiado", "コピーしました"],
    Preview => ["Invite preview", "Vorschau der Einladung", "Aperçu de l’invitation", "Vista previa de la invitación", "招待のプレビュー"],
    PlainText => ["Plain-text version", "Nur-Text-Version", "Version texte brut", "Versión de texto sin formato", "テキスト版"],
    BadTimes => [
        "Enter a start and an end; the end must be after the start.",
        "Geben Sie Beginn und Ende ein; das Ende muss nach dem Beginn liegen.",
        "Indiquez un début et une fin ; la fin doit suivre le début.",
        "Indique un inicio y un fin; el fin debe ser posterior al inicio.",
        "開始と終了を入力してください。終了は開始より後である必要があります。",
    ],
    SignIn => ["Sign in", "Anmelden", "Se connecter", "Iniciar sesión", "サインイン"],
    SignInHint => [
        "Demo sign-in: this server runs the development issuer.",
        "Demo-Anmeldung: Dieser Server verwendet den Entwicklungsaussteller.",
        "Connexion de démonstration : ce serveur utilise l’émetteur de développement.",
        "Inicio de sesión de demostración: este servidor usa el emisor de desarrollo.",
        "デモ サインイン: このサーバーは開発用の発行者を使用しています。",
    ],
    Tenant => ["Tenant", "Mandant", "Locataire", "Inquilino", "テナント"],
    Email => ["E-mail address", "E-Mail-Adresse", "Adresse e-mail", "Correo electrónico", "メール アドレス"],
    NoSignIn => [
        "Open the scheduler from the link your admin gave you; it signs you in.",
        "Öffnen Sie die Terminplanung über den Link Ihres Administrators; er meldet Sie an.",
        "Ouvrez le planificateur depuis le lien fourni par votre administrateur ; il vous connecte.",
        "Abra el programador desde el vínculo que le dio su administrador; le inicia sesión.",
        "管理者から提供されたリンクからスケジューラーを開いてください。サインインされます。",
    ],
    // {who}/{tenant}: the link's account; {me}/{my}: the one signed in.
    SwitchPrompt => [
        "A link would sign you in as {who} in tenant {tenant}, but you are signed in as {me} in tenant {my}. Switch only if you opened this link yourself.",
        "Ein Link würde Sie als {who} im Mandanten {tenant} anmelden, Sie sind aber als {me} im Mandanten {my} angemeldet. Wechseln Sie nur, wenn Sie diesen Link selbst geöffnet haben.",
        "Un lien vous connecterait en tant que {who} dans le locataire {tenant}, mais vous êtes connecté en tant que {me} dans le locataire {my}. Ne changez que si vous avez ouvert ce lien vous-même.",
        "Un enlace iniciaría sesión como {who} en el inquilino {tenant}, pero ha iniciado sesión como {me} en el inquilino {my}. Cambie solo si abrió este enlace usted mismo.",
        "リンクはテナント {tenant} の {who} としてサインインしようとしていますが、現在はテナント {my} の {me} としてサインインしています。このリンクを自分で開いた場合のみ切り替えてください。",
    ],
    SwitchAccount => ["Switch account", "Konto wechseln", "Changer de compte", "Cambiar de cuenta", "アカウントを切り替える"],
    StaySignedIn => ["Stay signed in", "Angemeldet bleiben", "Rester connecté", "Mantener la sesión", "サインインしたままにする"],
}

/// `key` in `lang`.
pub fn t(lang: Lang, key: Key) -> &'static str {
    pick(lang, words(key))
}

/// The word for `lang` of one entry `[en, de, fr, es, ja]` (a page's own tables use it too).
pub fn pick(lang: Lang, [en, de, fr, es, ja]: [&'static str; 5]) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::De => de,
        Lang::Fr => fr,
        Lang::Es => es,
        Lang::Ja => ja,
    }
}
