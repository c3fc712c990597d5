/**
 * The login pages, rendered on the server (pure): French first, English on request, accessible (a
 * language attribute, labels tied to fields, errors announced and tied to their field, visible focus,
 * usable on a phone), every form carrying its CSRF token.
 */
export type Lang = 'fr' | 'en';

const TEXT = {
  fr: {
    title: 'Connexion à Carnet', product: 'Carnet — dossier de santé', other: 'English', otherLang: 'en',
    intro: (app: string) => `L’application « ${app} » demande l’accès à votre dossier Carnet.`,
    username: 'Nom d’utilisateur', password: 'Mot de passe', signIn: 'Se connecter',
    errorsTitle: 'La connexion n’a pas réussi', invalid: 'Nom d’utilisateur ou mot de passe incorrect.',
    locked: 'Ce compte est verrouillé après plusieurs tentatives. Réessayez plus tard ou communiquez avec l’administration.',
    throttled: 'Trop de tentatives depuis cet appareil. Réessayez dans quelques minutes.', disabled: 'Ce compte est désactivé.',
    required: 'Ce champ est obligatoire.', expired: 'La page a expiré. Recommencez la connexion depuis l’application.',
    totpTitle: 'Vérification en deux étapes', totpIntro: 'Entrez le code à 6 chiffres affiché par votre application d’authentification.',
    totpLabel: 'Code de vérification', totpHint: '6 chiffres, par exemple 123456', totpWrong: 'Ce code est incorrect ou a déjà servi.', verify: 'Vérifier',
    patientTitle: 'Choisir un dossier', patientIntro: 'Vous pouvez agir pour plusieurs personnes. Pour quel dossier l’application demande-t-elle l’accès?',
    patientLegend: 'Dossier', choose: 'Continuer', patientRequired: 'Choisissez un dossier.',
    approveTitle: 'Autoriser l’application?', approveIntro: (app: string) => `« ${app} » demande les accès suivants :`,
    allow: 'Autoriser', deny: 'Refuser', signedInAs: (name: string) => `Connecté en tant que ${name}.`,
    errorTitle: 'Demande refusée', back: 'Retourner à l’application',
    scope: { read: 'lire', write: 'modifier', all: 'toutes les données', patientCtx: 'de votre dossier', userCtx: 'auxquelles vous avez accès' },
    otherScopes: { openid: 'confirmer votre identité', fhirUser: 'connaître votre profil', offline_access: 'garder l’accès sans reconnexion', online_access: 'garder l’accès pendant votre session', 'launch/patient': 'savoir quel dossier est ouvert', profile: 'connaître votre nom' } as Record<string, string>,
  },
  en: {
    title: 'Sign in to Carnet', product: 'Carnet — health record', other: 'Français', otherLang: 'fr',
    intro: (app: string) => `The application “${app}” asks to access your Carnet record.`,
    username: 'Username', password: 'Password', signIn: 'Sign in',
    errorsTitle: 'Sign-in did not succeed', invalid: 'Wrong username or password.',
    locked: 'This account is locked after several attempts. Try again later or contact the administration.',
    throttled: 'Too many attempts from this device. Try again in a few minutes.', disabled: 'This account is disabled.',
    required: 'This field is required.', expired: 'This page has expired. Start signing in again from the application.',
    totpTitle: 'Two-step verification', totpIntro: 'Enter the 6-digit code your authenticator app shows.',
    totpLabel: 'Verification code', totpHint: '6 digits, for example 123456', totpWrong: 'This code is wrong or was already used.', verify: 'Verify',
    patientTitle: 'Choose a record', patientIntro: 'You may act for several people. Which record does the application ask to open?',
    patientLegend: 'Record', choose: 'Continue', patientRequired: 'Choose a record.',
    approveTitle: 'Allow the application?', approveIntro: (app: string) => `“${app}” asks for the following access:`,
    allow: 'Allow', deny: 'Deny', signedInAs: (name: string) => `Signed in as ${name}.`,
    errorTitle: 'Request refused', back: 'Back to the application',
    scope: { read: 'read', write: 'change', all: 'all data', patientCtx: 'of your record', userCtx: 'you have access to' },
    otherScopes: { openid: 'confirm your identity', fhirUser: 'know your profile', offline_access: 'keep access without signing in again', online_access: 'keep access during your session', 'launch/patient': 'know which record is open', profile: 'know your name' } as Record<string, string>,
  },
};
export type Texts = (typeof TEXT)['fr'];
export function texts(lang: Lang): Texts {
  return TEXT[lang] as Texts;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.0625rem;line-height:1.5;color:#1b1f24;background:#f3f5f8}
header{background:#0b4f6c;color:#fff;padding:.75rem 1.25rem;display:flex;justify-content:space-between;align-items:center;gap:1rem}
header .brand{font-weight:700;font-size:1.125rem}
header a{color:#fff;text-decoration:underline;text-underline-offset:.2em}
main{max-width:28rem;margin:2.5rem auto;padding:2rem 1.75rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin:0 0 .75rem}
p{margin:.25rem 0 1rem}
label,legend{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.625rem .75rem;font-size:1.0625rem;border:2px solid #5b6573;border-radius:.375rem}
input[aria-invalid=true]{border-color:#b3261e}
.hint{display:block;color:#4a5360;font-size:.9375rem;margin:0 0 .25rem}
.field-error{display:block;color:#b3261e;font-weight:600;margin:.25rem 0 0}
.summary{border:2px solid #b3261e;border-left-width:.5rem;padding:.75rem 1rem;margin:0 0 1rem;border-radius:.375rem;background:#fdf3f2}
.summary h2{font-size:1.0625rem;margin:0 0 .25rem}
.summary p{margin:0}
button{margin-top:1.5rem;padding:.7rem 1.25rem;font-size:1.0625rem;font-weight:600;border-radius:.375rem;border:2px solid #0b4f6c;background:#0b4f6c;color:#fff;cursor:pointer;min-width:8rem}
button.secondary{background:#fff;color:#0b4f6c}
.actions{display:flex;gap:.75rem;flex-wrap:wrap}
:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
ul.scopes{padding-left:1.25rem}
fieldset{border:0;padding:0;margin:0}
.choice{display:flex;gap:.5rem;align-items:center;margin:.5rem 0}
.choice label{margin:0;font-weight:400}
.muted{color:#4a5360;font-size:.9375rem}
@media (max-width:30rem){main{margin:0;border-radius:0;box-shadow:none;min-height:calc(100vh - 3rem)}}
`;

export interface PageFrame {
  readonly lang: Lang;
  readonly title: string;
  /** The same page in the other language. */
  readonly otherLangUrl: string;
  readonly body: string;
}

export function page(frame: PageFrame): string {
  const t = texts(frame.lang);
  return `<!doctype html>
<html lang="${frame.lang === 'fr' ? 'fr-CA' : 'en-CA'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)} — Carnet</title>
<style>${STYLE}</style>
</head>
<body>
<header><span class="brand">${escapeHtml(t.product)}</span><a href="${escapeHtml(frame.otherLangUrl)}" lang="${t.otherLang === 'fr' ? 'fr-CA' : 'en-CA'}" hreflang="${t.otherLang}">${escapeHtml(t.other)}</a></header>
<main id="main">
${frame.body}
</main>
</body>
</html>`;
}

interface FieldOptions {
  readonly id: string;
  readonly label: string;
  readonly type: 'text' | 'password';
  readonly autocomplete: string;
  readonly value?: string;
  readonly error?: string;
  readonly hint?: string;
  readonly autofocus?: boolean;
  readonly inputmode?: string;
}

function field(o: FieldOptions): string {
  const described = [o.hint ? `${o.id}-hint` : '', o.error ? `${o.id}-error` : ''].filter(Boolean).join(' ');
  return `<label for="${o.id}">${escapeHtml(o.label)}</label>
${o.hint ? `<span class="hint" id="${o.id}-hint">${escapeHtml(o.hint)}</span>` : ''}
<input type="${o.type}" id="${o.id}" name="${o.id}" autocomplete="${o.autocomplete}" required${o.inputmode ? ` inputmode="${o.inputmode}"` : ''}${o.value ? ` value="${escapeHtml(o.value)}"` : ''}${o.error ? ' aria-invalid="true"' : ''}${described ? ` aria-describedby="${described}"` : ''}${o.autofocus ? ' autofocus' : ''}>
${o.error ? `<span class="field-error" id="${o.id}-error">${escapeHtml(o.error)}</span>` : ''}`;
}

function summary(t: Texts, message: string | undefined): string {
  return message ? `<div class="summary" role="alert" tabindex="-1" id="error-summary"><h2>${escapeHtml(t.errorsTitle)}</h2><p>${escapeHtml(message)}</p></div>` : '';
}

function hidden(values: Record<string, string>): string {
  return Object.entries(values).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`).join('\n');
}

export interface LoginPage {
  readonly lang: Lang;
  readonly action: string;
  readonly otherLangUrl: string;
  readonly hidden: Record<string, string>;
  readonly clientName: string;
  readonly username?: string;
  readonly error?: 'invalid' | 'locked' | 'throttled' | 'disabled';
  readonly missing?: readonly ('username' | 'password')[];
}

export function loginPage(p: LoginPage): string {
  const t = texts(p.lang);
  const missing = new Set(p.missing ?? []);
  const general = p.error ? t[p.error] : undefined;
  const userError = missing.has('username') ? t.required : undefined;
  const passError = missing.has('password') ? t.required : p.error === 'invalid' ? t.invalid : undefined;
  const focusUser = !p.username || missing.has('username');
  return page({
    lang: p.lang, title: t.title, otherLangUrl: p.otherLangUrl,
    body: `<h1>${escapeHtml(t.title)}</h1>
<p>${escapeHtml(t.intro(p.clientName))}</p>
${summary(t, general ?? (missing.size ? t.required : undefined))}
<form method="post" action="${escapeHtml(p.action)}" novalidate>
${hidden(p.hidden)}
${field({ id: 'username', label: t.username, type: 'text', autocomplete: 'username', ...(p.username ? { value: p.username } : {}), ...(userError ? { error: userError } : {}), autofocus: focusUser })}
${field({ id: 'password', label: t.password, type: 'password', autocomplete: 'current-password', ...(passError ? { error: passError } : {}), autofocus: !focusUser })}
<button type="submit">${escapeHtml(t.signIn)}</button>
</form>`,
  });
}

export function totpPage(p: { lang: Lang; action: string; otherLangUrl: string; hidden: Record<string, string>; error?: boolean }): string {
  const t = texts(p.lang);
  return page({
    lang: p.lang, title: t.totpTitle, otherLangUrl: p.otherLangUrl,
    body: `<h1>${escapeHtml(t.totpTitle)}</h1>
<p>${escapeHtml(t.totpIntro)}</p>
${summary(t, p.error ? t.totpWrong : undefined)}
<form method="post" action="${escapeHtml(p.action)}" novalidate>
${hidden(p.hidden)}
${field({ id: 'code', label: t.totpLabel, type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric', hint: t.totpHint, ...(p.error ? { error: t.totpWrong } : {}), autofocus: true })}
<button type="submit">${escapeHtml(t.verify)}</button>
</form>`,
  });
}

export function patientPage(p: { lang: Lang; action: string; otherLangUrl: string; hidden: Record<string, string>; patients: readonly { id: string; name: string }[]; error?: boolean }): string {
  const t = texts(p.lang);
  const options = p.patients.map((patient, i) => `<div class="choice"><input type="radio" id="patient-${i}" name="patient" value="${escapeHtml(patient.id)}"${i === 0 ? ' autofocus' : ''}${p.error ? ' aria-describedby="patient-error"' : ''}><label for="patient-${i}">${escapeHtml(patient.name)}</label></div>`).join('\n');
  return page({
    lang: p.lang, title: t.patientTitle, otherLangUrl: p.otherLangUrl,
    body: `<h1>${escapeHtml(t.patientTitle)}</h1>
<p>${escapeHtml(t.patientIntro)}</p>
${summary(t, p.error ? t.patientRequired : undefined)}
<form method="post" action="${escapeHtml(p.action)}" novalidate>
${hidden(p.hidden)}
<fieldset><legend>${escapeHtml(t.patientLegend)}</legend>
${p.error ? `<span class="field-error" id="patient-error">${escapeHtml(t.patientRequired)}</span>` : ''}
${options}
</fieldset>
<button type="submit">${escapeHtml(t.choose)}</button>
</form>`,
  });
}

/** A scope in words ("read all data of your record"). */
export function describeScope(scope: string, lang: Lang): string {
  const t = texts(lang);
  if (t.otherScopes[scope]) return t.otherScopes[scope] as string;
  const match = /^(patient|user|system)\/([A-Za-z*]+)\.([a-z*]+)$/.exec(scope);
  if (!match) return scope;
  const [, context, type, perms] = match as unknown as [string, string, string, string];
  const reads = /r|s|read|\*/.test(perms);
  const writes = /c|u|d|write|\*/.test(perms);
  const verbs = [reads ? t.scope.read : '', writes ? t.scope.write : ''].filter(Boolean).join(lang === 'fr' ? ' et ' : ' and ');
  const what = type === '*' ? t.scope.all : type;
  return `${verbs} ${what} ${context === 'patient' ? t.scope.patientCtx : t.scope.userCtx}`;
}

export function approvePage(p: { lang: Lang; action: string; otherLangUrl: string; hidden: Record<string, string>; clientName: string; scopes: readonly string[]; userName: string }): string {
  const t = texts(p.lang);
  const items = p.scopes.map((s) => `<li>${escapeHtml(describeScope(s, p.lang))} <span class="muted">(${escapeHtml(s)})</span></li>`).join('\n');
  return page({
    lang: p.lang, title: t.approveTitle, otherLangUrl: p.otherLangUrl,
    body: `<h1>${escapeHtml(t.approveTitle)}</h1>
<p>${escapeHtml(t.signedInAs(p.userName))}</p>
<p>${escapeHtml(t.approveIntro(p.clientName))}</p>
<ul class="scopes">${items}</ul>
<form method="post" action="${escapeHtml(p.action)}">
${hidden(p.hidden)}
<div class="actions"><button type="submit" name="decision" value="allow" autofocus>${escapeHtml(t.allow)}</button><button type="submit" name="decision" value="deny" class="secondary">${escapeHtml(t.deny)}</button></div>
</form>`,
  });
}

export function errorPage(p: { lang: Lang; otherLangUrl: string; message: string }): string {
  const t = texts(p.lang);
  return page({ lang: p.lang, title: t.errorTitle, otherLangUrl: p.otherLangUrl, body: `<h1>${escapeHtml(t.errorTitle)}</h1>\n<p role="alert">${escapeHtml(p.message)}</p>` });
}
