import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { usingPostgres } from '../support/harness.js';
import { clinicContext, PHONE, seedClinicFixtures, tablesOverflowing, type ClinicFixtures } from './clinic-support.js';
import { axeViolations, noChromium, shot, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The professional workspace (/clinique/) in a real browser against a real Carnet with the demo
 * population and the demo accounts: a SMART app (code + PKCE, user/ scopes, the second factor), each role
 * sees only its menus and the API refuses what the screen hides; a clinician finds a patient through the
 * MPI (typos, no accents), reads the banner, the summary, the results and the medications; a record with
 * something hidden says so and the glass can be broken (reason required, banner, in the patient's access
 * log); axe-core finds no violation, in French and English, on a phone and a desktop.
 */
describe('the professional workspace in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  let fx: ClinicFixtures;
  before(async () => {
    web = await startWebCarnet();
    fx = await seedClinicFixtures(web);
  });
  after(async () => {
    await web?.close();
  });

  test('before signing in: what it is, the demo accounts of every role with the current code; sign-in is SMART (client, PKCE, user/ scopes)', async () => {
    const context = await web.browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await page.goto(`${web.origin}/clinique/`);
    await page.getByRole('heading', { level: 1, name: 'Espace clinique' }).waitFor();
    if (!usingPostgres) {
      await page.getByRole('heading', { name: 'Comptes de démonstration' }).waitFor();
      for (const role of ['Médecin', 'Infirmière', 'Pharmacien', 'Responsable de la confidentialité', 'Administration']) await page.getByRole('heading', { name: role, exact: true }).waitFor();
      assert.match(await page.locator('.status code').innerText(), /^\d{6}$/);
    }
    await shot(page, 'accueil-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the welcome page (fr, phone)');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(/\/auth\/authorize\?/);
    const authorize = new URL(page.url());
    assert.equal(authorize.searchParams.get('client_id'), 'carnet-clinique');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('scope') ?? '', /user\/\*\.cruds/);
    assert.doesNotMatch(authorize.searchParams.get('scope') ?? '', /patient\//);
    await context.close();
  });

  test('a physician: only Patients; finds the patient with typos and no accents, grouped by person; the banner, summary, results, medications; axe clean', async () => {
    const { context, page, token } = await clinicContext(web, 'medecin', VIEWPORTS[1]);
    const nav = page.getByRole('navigation', { name: 'Sections de l’espace clinique' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Patients', 'Notifications']);
    await page.getByRole('heading', { level: 1, name: 'Trouver un patient' }).waitFor();
    // "Mes patients" on the home: the demo patient, on the demo care team and seen three days ago.
    const mineRow = page.getByRole('table', { name: 'Mes patients' }).getByRole('row').filter({ hasText: fx.name });
    await mineRow.waitFor();
    assert.match(await mineRow.innerText(), /équipe de soins, rencontre récente/);
    await shot(page, 'mes-patients-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on my patients (fr, desktop)');
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('table', { name: 'My patients' }).getByRole('row').filter({ hasText: fx.name }).waitFor();
    assert.deepEqual(await tablesOverflowing(page), [], 'my patients fits a phone');
    await shot(page, 'mes-patients-en-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on my patients (en, phone)');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
    await page.getByRole('button', { name: 'Français' }).click();
    await page.setViewportSize(VIEWPORTS[1]);
    await page.getByRole('table', { name: 'Mes patients' }).waitFor();
    // An empty search says what to do, and asks nothing of the server.
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByText('Entrez au moins un critère').waitFor();
    // The hidden patient's name typed without accents, "Eloise Belanger Cote".
    await page.getByLabel('Nom de famille').fill('Belanger-Cote');
    await page.getByLabel('Prénom').fill('Eloise');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const row = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: fx.hiddenName }) });
    await row.waitFor();
    assert.match(await row.innerText(), /19 juill\. 1984|19 juillet 1984/);
    assert.match(await row.innerText(), /Clinique démo Saint-Laurent/);
    await shot(page, 'recherche-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the search (fr, desktop)');
    await page.setViewportSize(PHONE);
    assert.deepEqual(await tablesOverflowing(page), [], 'the search results fit a phone');
    await shot(page, 'recherche-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the search (fr, phone)');
    await page.setViewportSize(VIEWPORTS[1]);
    // The demo patient, by NAM when there is one, else by name with a typo in the given name.
    const nam = fx.patient.identifier?.find((i) => /healthcare-id/.test(i.system ?? ''))?.value;
    await page.getByRole('button', { name: 'Effacer' }).click();
    if (nam) await page.getByLabel('NAM (assurance maladie)').fill(nam.toLowerCase());
    else await page.getByLabel('Nom de famille').fill(fx.patient.name?.[0]?.family ?? '');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const own = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: fx.name }) }).first();
    await own.waitFor();
    assert.match(await own.innerText(), /dossiers? sources?/);
    await own.getByRole('link', { name: fx.name }).click();
    // The patient's summary: the banner first.
    const banner = page.getByRole('region', { name: 'Identité du patient' });
    await banner.waitFor();
    assert.match(await banner.innerText(), new RegExp(fx.name));
    assert.match(await banner.innerText(), /Âge[\s\S]*Sexe[\s\S]*NAM[\s\S]*Médecin de famille[\s\S]*Allergies/);
    await page.getByRole('heading', { level: 2, name: 'Problèmes de santé actifs' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'the new page’s heading has the focus');
    await shot(page, 'resume-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the summary (fr, desktop)');
    await page.getByRole('link', { name: 'Résultats' }).click();
    await page.locator('.analyte').first().waitFor();
    await page.getByRole('img', { name: /Évolution/ }).first().waitFor();
    await page.getByRole('region', { name: 'Identité du patient' }).waitFor();
    await shot(page, 'resultats-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the results (fr, desktop)');
    await page.getByRole('link', { name: 'Médicaments' }).click();
    await page.getByRole('table', { name: /Prescrit et délivré/ }).waitFor();
    await shot(page, 'medicaments-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the medications (fr, desktop)');
    // The same pages on a phone (390×844): each table one card per row, nothing cut off.
    await page.setViewportSize(PHONE);
    assert.deepEqual(await tablesOverflowing(page), [], 'the medications fit a phone');
    await shot(page, 'medicaments-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the medications (fr, phone)');
    await page.getByRole('link', { name: 'Résultats' }).click();
    await page.locator('.analyte').first().waitFor();
    await page.locator('.analyte details summary').first().click();
    assert.deepEqual(await tablesOverflowing(page), [], 'the results fit a phone');
    await page.getByRole('link', { name: 'Médicaments' }).click();
    await page.getByRole('table', { name: /Prescrit et délivré/ }).waitFor();
    await page.setViewportSize(VIEWPORTS[1]);
    // English, same pages.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('table', { name: /Prescribed and dispensed/ }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the medications (en, desktop)');
    await page.getByRole('link', { name: 'Summary' }).click();
    await page.getByRole('heading', { level: 2, name: 'Active problems' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the summary (en, desktop)');
    await page.getByRole('button', { name: 'Français' }).click();
    // What the screen hides, the API refuses: the audit trail and the review queue are not for a physician.
    const bearer = { authorization: `Bearer ${token()}` };
    assert.equal((await fetch(`${web.origin}/auth/admin/audit`, { headers: bearer })).status, 403);
    assert.equal((await fetch(`${web.origin}/fhir/$mpi-review`, { headers: bearer })).status, 403);
    assert.equal((await fetch(`${web.origin}/hl7v2/dead-letters`, { headers: bearer })).status, 403);
    await page.goto(`${web.origin}/clinique/audit`);
    await page.getByRole('heading', { level: 1, name: 'Section réservée à un autre rôle' }).waitFor();
    // A patient who is not there: said so, with the way back (a reload signs in again silently).
    await page.goto(`${web.origin}/clinique/patient/no-such-patient`);
    await page.getByRole('heading', { level: 1, name: 'Patient introuvable' }).waitFor();
    await page.getByText('Ce dossier n’existe pas ou ne vous est pas accessible.').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on an absent patient (fr, desktop)');
    await context.close();
  });

  test('consent made visible, then break the glass: reason required, a banner while active, in the patient’s access log', async () => {
    const { context, page } = await clinicContext(web, 'infirmiere', PHONE, `/clinique/patient/${fx.hiddenId}`);
    const notice = page.getByRole('region', { name: 'Une partie du dossier vous est cachée' });
    await notice.waitFor();
    assert.equal(await page.getByText('Asthme (test clinique)').count(), 0, 'what is hidden is not shown, nor named');
    await shot(page, 'cache-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on a record with something hidden (fr, phone)');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
    await notice.getByRole('button', { name: /Accès d’urgence/ }).click();
    await page.getByRole('button', { name: 'Ouvrir le dossier en urgence' }).click();
    await page.getByText('Indiquez le motif de l’accès d’urgence').waitFor();
    await page.getByLabel('Motif de l’accès d’urgence (obligatoire)').fill('Patiente inconsciente à l’urgence, allergies à vérifier');
    await page.getByLabel('Durée').selectOption('30');
    await page.getByRole('button', { name: 'Ouvrir le dossier en urgence' }).dblclick();
    await page.getByText(/Accès d’urgence actif jusqu’à/).waitFor();
    await page.getByText('Asthme (test clinique)').waitFor();
    assert.match(new URL(page.url()).pathname, new RegExp(`/clinique/patient/${fx.hiddenId}$`), 'a double click stays on the page');
    await shot(page, 'bris-de-verre-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe with the glass broken (fr, phone)');
    // One grant (a double click asks once), shown in the patient's own access log.
    const log = (await web.t.request('GET', `/fhir/Patient/${fx.hiddenId}/$access-log?_count=200`)).body as Bundle<AuditEvent>;
    const grants = (log.entry ?? []).filter((e) => e.resource?.entity?.some((x) => x.detail?.some((d) => d.type === 'break-the-glass-reason')) && /break-the-glass/.test(JSON.stringify(e.resource?.subtype ?? e.resource?.type ?? '')) );
    const reasons = (log.entry ?? []).flatMap((e) => e.resource?.entity ?? []).flatMap((x) => x.detail ?? []).filter((d) => d.type === 'break-the-glass-reason').map((d) => d.valueString);
    assert.ok(reasons.includes('Patiente inconsciente à l’urgence, allergies à vérifier'), 'the reason is in the patient’s log');
    assert.ok(grants.length <= 1, `one grant (${grants.length})`);
    await context.close();
  });

  test('a privacy officer: only the audit trail; break-the-glass accesses with their reason; the chain verified; the API refuses patients', async () => {
    const { context, page, token } = await clinicContext(web, 'confidentialite', VIEWPORTS[1]);
    const nav = page.getByRole('navigation', { name: 'Sections de l’espace clinique' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Journal d’audit']);
    await page.getByRole('heading', { level: 1, name: 'Journal d’audit' }).waitFor();
    await page.getByLabel('Accès d’urgence seulement').check();
    await page.getByRole('button', { name: 'Chercher' }).click();
    const table = page.getByRole('table', { name: 'Inscriptions du journal d’audit' });
    await table.waitFor();
    await page.getByText(/Patiente inconsciente/).first().waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert.ok(rows.length > 0 && rows.every((r) => /Bris de verre/.test(r)), 'break-the-glass accesses only');
    await page.getByRole('button', { name: 'Vérifier la chaîne' }).click();
    await page.getByText(/Chaîne intacte : \d+ inscriptions? vérifiées?/).waitFor();
    await shot(page, 'audit-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the audit trail (fr, desktop)');
    // Break-the-glass reviews: the nurse's grant, a verdict and a comment required, then saved, shown in the trail.
    const reviews = page.getByRole('region', { name: 'Accès d’urgence à revoir' });
    const item = reviews.getByRole('listitem').filter({ hasText: 'Patiente inconsciente' }).first();
    await item.waitFor();
    await item.getByRole('button', { name: 'Enregistrer la revue' }).click();
    await item.getByRole('alert').filter({ hasText: 'Indiquez si l’accès était justifié.' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on a review refused for want of a verdict (fr, desktop)');
    await item.getByLabel('Oui, justifié').check();
    await item.getByLabel('Commentaire (obligatoire)').fill('Admission à l’urgence confirmée au registre');
    await item.getByRole('button', { name: 'Enregistrer la revue' }).click();
    await item.getByText('Revue enregistrée.').waitFor();
    await item.locator('span', { hasText: /Justifié — par/ }).first().waitFor();
    await table.locator('span', { hasText: /Justifié — par/ }).first().waitFor();
    const saved = (await web.t.request('GET', '/auth/admin/break-glass?status=reviewed')).body as { grants: { reason: string; review: { justified: boolean; comment: string } }[] };
    assert.ok(saved.grants.some((g) => /Patiente inconsciente/.test(g.reason) && g.review.justified && g.review.comment === 'Admission à l’urgence confirmée au registre'));
    await shot(page, 'revue-bris-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe with a review saved (fr, desktop)');
    await page.setViewportSize(PHONE);
    // The trail on a phone: one card per record, the reason (the last column) not cut off.
    assert.deepEqual(await tablesOverflowing(page), [], 'the audit trail fits a phone');
    const card = await table.locator('tbody tr').first().boundingBox();
    assert.ok(card && card.width <= PHONE.width, `a record is a card within the phone (${card?.width})`);
    await table.getByText(/Patiente inconsciente/).first().waitFor();
    await shot(page, 'audit-fr-phone');
    await shot(page, 'revue-bris-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the reviews (fr, phone)');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Emergency accesses to review' }).waitFor();
    await page.getByLabel('Show', { exact: true }).selectOption('all');
    await page.getByRole('listitem').filter({ hasText: 'Patiente inconsciente' }).locator('span', { hasText: /Justified — by/ }).first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the reviews (en, phone)');
    await page.getByRole('button', { name: 'Français' }).click();
    await page.setViewportSize(VIEWPORTS[1]);
    const bearer = { authorization: `Bearer ${token()}` };
    assert.equal((await fetch(`${web.origin}/fhir/Observation?subject=Patient/${web.patientId}`, { headers: bearer })).status, 403);
    assert.equal((await fetch(`${web.origin}/fhir/$mpi-review`, { headers: bearer })).status, 403);
    await context.close();
  });

  test('an administrator: the review queue side by side, a decision with its reason, a second decision refused; HL7 dead letters with their error and raw message', async () => {
    const { context, page, token } = await clinicContext(web, 'admin', PHONE);
    const nav = page.getByRole('navigation', { name: 'Sections de l’espace clinique' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Doublons possibles', 'Messages HL7 en échec', 'Travaux en arrière-plan', 'Journal d’audit']);
    await page.getByRole('heading', { level: 1, name: 'Doublons possibles' }).waitFor();
    const [a, b] = fx.reviewPair;
    const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`${b}.*${a}|${a}.*${b}`) }) });
    await item.waitFor();
    const birth = item.getByRole('row', { name: /Date de naissance/ });
    assert.match(await birth.innerText(), /1962-03-26[\s\S]*1962-03-08[\s\S]*Diffèrent/);
    assert.match(await item.getByRole('row', { name: /Prénom/ }).innerText(), /Concordent/);
    await shot(page, 'doublons-fr-phone');
    assert.deepEqual(await tablesOverflowing(page), [], 'the review queue fits a phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the review queue (fr, phone)');
    await item.getByRole('button', { name: 'Garder séparés' }).click();
    await item.getByText('Indiquez la raison de la décision').waitFor();
    // Another administrator decides the same pair first (through the API): this one is told, nothing is written twice.
    const queue = await fetch(`${web.origin}/fhir/$mpi-review?status=open&patient=${b}`, { headers: { authorization: `Bearer ${token()}` } });
    const candidate = ((await queue.json()) as { parameter: { name: string; part?: { name: string; valueString?: string }[] }[] }).parameter.find((p) => p.name === 'candidate')?.part?.find((p) => p.name === 'id')?.valueString;
    assert.ok(candidate);
    const first = await web.t.request('POST', '/fhir/$mpi-review', { body: { resourceType: 'Parameters', parameter: [{ name: 'candidate', valueString: candidate }, { name: 'decision', valueCode: 'reject' }, { name: 'reason', valueString: 'deux personnes (autre administrateur)' }] } });
    assert.equal(first.status, 200, first.text);
    await item.getByLabel('Raison de la décision (obligatoire)').fill('Pièces d’identité différentes');
    await item.getByRole('button', { name: 'Lier : même personne' }).click();
    await item.getByText('Cette paire a déjà été résolue par une autre personne').waitFor();
    await page.getByRole('table', { name: 'Décisions prises' }).waitFor({ timeout: 5000 }).catch(() => undefined);
    assert.deepEqual(await tablesOverflowing(page), [], 'the decisions fit a phone');
    const decisions = await web.t.request('GET', `/fhir/$mpi-decisions?patient=${b}`);
    assert.equal(JSON.stringify(decisions.body).match(/"valueCode":"(confirm|link)"/g), null, 'no link was written');
    await page.getByRole('link', { name: 'Messages HL7 en échec' }).click();
    const letter = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /ADT\^A09/ }) });
    await letter.waitFor();
    assert.match(await letter.innerText(), /MSH/);
    await letter.getByText('Message reçu (brut)').click();
    await letter.locator('pre').waitFor();
    assert.match(await letter.locator('pre').innerText(), /^MSH\|/);
    await letter.getByRole('button', { name: 'Rejouer' }).click();
    await letter.getByText(/a échoué de nouveau/).waitFor();
    await shot(page, 'hl7-fr-phone');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling on a phone (the raw message scrolls in its own box)');
    assert.deepEqual(await axeViolations(page), [], 'axe on the dead letters (fr, phone)');
    await letter.getByRole('button', { name: 'Écarter' }).click();
    await letter.getByText('Indiquez pourquoi ce message est écarté').waitFor();
    await letter.getByLabel('Raison pour écarter ce message (obligatoire)').fill('Message de test de l’émetteur');
    await letter.getByRole('button', { name: 'Écarter' }).click();
    await page.getByText('Aucun message en échec.').waitFor();
    const bearer = { authorization: `Bearer ${token()}` };
    assert.equal((await fetch(`${web.origin}/fhir/Patient/${web.patientId}`, { headers: bearer })).status, 403, 'an administrator reads no patient');
    assert.equal((await fetch(`${web.origin}/auth/admin/audit`, { headers: bearer })).status, 200, 'administrators may review the trail too (route policy)');
    await context.close();
  });
});
