import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Observation, Task } from '@medplum/fhirtypes';
import { clinicContext, PHONE, tablesOverflowing } from './clinic-support.js';
import { axeViolations, noChromium, shot, startWebCarnet, VIEWPORTS, type WebCarnet } from './support.js';

/**
 * The notifications inbox in a real browser against a real Carnet: the physician's workspace keeps one
 * websocket subscription per topic on "Mes patients" (the demo patient is on the demo care team), binds it
 * ($get-ws-binding-token, bind-with-token), and what the API receives for that patient appears by itself —
 * a new result, its correction, an admission —; read/unread and acknowledged are Task statuses on the
 * server (they survive a reload, nothing is made twice); axe finds nothing, in French and English, on a
 * desktop and a phone; roles without the inbox are refused its Tasks.
 */
describe('the notifications inbox, the timeline and the documents in a browser', { skip: noChromium }, () => {
  let web: WebCarnet;
  before(async () => {
    web = await startWebCarnet();
    // What the demo seeded is old news: the matcher consumes it before any inbox subscription exists (a
    // running Carnet matches continuously; the harness runs its background work only when asked).
    while ((await web.t.carnet.background.runOnce()).events > 0) { /* drain */ }
  });
  after(async () => {
    await web?.close();
  });

  const lab = (status: Observation['status'], value: number): Observation => ({
    resourceType: 'Observation', status, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { text: 'Glycémie (boîte de réception)' }, subject: { reference: `Patient/${web.patientId}` }, effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value, unit: 'mmol/L' },
  });
  // The test drives Carnet's background work (the harness runs no loops): the matcher, then the socket's delivery.
  const background = async () => { await web.t.carnet.background.runOnce(); };
  const tasks = async () => ((await web.t.request('GET', '/fhir/Task?owner=Practitioner/demo-physician&_count=100')).body as Bundle<Task>).entry?.map((e) => e.resource as Task) ?? [];

  test('a physician: a result arrives live, then its correction and an admission; read, unread, acknowledged, kept on the server', async () => {
    const { context, page } = await clinicContext(web, 'medecin', VIEWPORTS[1], '/clinique/notifications');
    if (process.env.INBOX_DEBUG) {
      page.on('response', (r) => { if (r.status() >= 300) void r.text().then((b) => console.log('HTTP', r.status(), r.request().method(), r.url(), b.slice(0, 400))); });
      page.on('console', (m) => console.log('CONSOLE', m.text()));
      page.on('websocket', (ws) => { console.log('WS', ws.url()); ws.on('framereceived', (f) => console.log('WS<', String(f.payload).slice(0, 300))); ws.on('close', () => console.log('WS closed')); });
    }
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.getByText('En temps réel : les nouvelles notifications s’ajoutent d’elles-mêmes.').waitFor({ timeout: 20_000 });
    await page.getByText('Aucune notification.').waitFor();
    // The subscriptions are the physician's own, websocket, on their patients.
    const subs = ((await web.t.request('GET', '/fhir/Subscription?type=websocket&_count=100')).body as Bundle).entry ?? [];
    assert.equal(subs.length, 5, 'one per topic');
    assert.ok(subs.every((e) => JSON.stringify(e.resource).includes(`Patient/${web.patientId}`)));
    // A result arrives through the API: it appears by itself.
    const created = await web.t.request('POST', '/fhir/Observation', { body: lab('final', 5.4) });
    assert.equal(created.status, 201, created.text);
    await background();
    const id = (created.body as Observation).id as string;
    const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /Nouveau résultat — Glycémie \(boîte de réception\) : 5.4 mmol\/L/ }) });
    await item.waitFor({ timeout: 20_000 });
    if (process.env.INBOX_DEBUG) console.log('STATUS', await page.getByRole('status').allInnerTexts());
    await page.getByText('1 nouvelle notification depuis l’ouverture de la page.').waitFor();
    assert.match(await item.innerText(), /Non lue/);
    let stored = await tasks();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.status, 'requested');
    assert.equal(stored[0]?.focus?.reference, `Observation/${id}`);
    await shot(page, 'notifications-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the inbox (fr, desktop)');
    await item.getByRole('button', { name: 'Marquer comme lue' }).click();
    await item.getByText('Lue', { exact: true }).waitFor();
    assert.equal((await tasks())[0]?.status, 'in-progress');
    // Corrected, then an admission: two more items, the first one stays.
    const corrected = await web.t.request('PUT', `/fhir/Observation/${id}`, { body: { ...lab('corrected', 5.9), id } });
    assert.equal(corrected.status, 200, corrected.text);
    await background();
    await page.getByRole('heading', { name: /Résultat corrigé — Glycémie \(boîte de réception\) : 5.9 mmol\/L/ }).waitFor({ timeout: 20_000 });
    const admitted = await web.t.request('POST', '/fhir/Encounter', { body: {
      resourceType: 'Encounter', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'hospitalisation' },
      serviceType: { text: 'Médecine interne' }, subject: { reference: `Patient/${web.patientId}` }, period: { start: new Date().toISOString() },
    } });
    assert.equal(admitted.status, 201, admitted.text);
    await background();
    const admission = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /Admission — Médecine interne/ }) });
    await admission.waitFor({ timeout: 20_000 });
    await admission.getByRole('button', { name: 'Prendre connaissance' }).click();
    await admission.waitFor({ state: 'detached' });
    stored = await tasks();
    assert.equal(stored.length, 3, 'one Task per event');
    assert.equal(stored.filter((t) => t.status === 'completed').length, 1);
    // A reload binds again: the state comes from the server, nothing is made twice.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.getByText('En temps réel : les nouvelles notifications s’ajoutent d’elles-mêmes.').waitFor({ timeout: 20_000 });
    await page.getByLabel('Afficher').selectOption('all');
    await page.getByRole('listitem').filter({ hasText: 'Prise en connaissance' }).waitFor();
    await page.getByRole('listitem').filter({ hasText: /Nouveau résultat/ }).getByText('Lue', { exact: true }).waitFor();
    assert.equal((await tasks()).length, 3, 'nothing twice after binding again');
    assert.deepEqual(await axeViolations(page), [], 'axe on every notification (fr, desktop)');
    // A phone, in English.
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: /Corrected result/ }).waitFor();
    await page.getByRole('heading', { name: /New result — Glycémie \(boîte de réception\) : 5.4 mmol\/L/ }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'Acknowledged' }).waitFor();
    assert.deepEqual(await tablesOverflowing(page), [], 'nothing cut off on a phone');
    await shot(page, 'notifications-en-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the inbox (en, phone)');
    // Back to unread, from the phone.
    await page.getByRole('listitem').filter({ hasText: /New result/ }).getByRole('button', { name: 'Mark as unread' }).click();
    await page.getByRole('listitem').filter({ hasText: /New result/ }).getByText('Unread', { exact: true }).waitFor();
    assert.equal((await tasks()).filter((t) => t.status === 'requested').length, 2);
    await page.getByRole('button', { name: 'Français' }).click();
    await context.close();
  });

  test('a patient’s timeline filtered by kind, the documents with their text, a note added (required fields, saved, shown)', async () => {
    const { context, page } = await clinicContext(web, 'medecin', VIEWPORTS[1], `/clinique/patient/${web.patientId}/chronologie`);
    await page.getByRole('heading', { level: 1, name: /^Chronologie — / }).waitFor();
    const table = page.getByRole('table', { name: 'Chronologie du dossier' });
    await table.waitFor();
    assert.ok((await table.locator('tbody tr').count()) > 0, 'the demo patient has events');
    await page.getByLabel('Résultat', { exact: true }).check();
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForFunction(() => {
      const rows = Array.from(document.querySelectorAll('table.stack tbody tr'));
      return rows.length > 0 && rows.every((r) => /Résultat/.test(r.textContent ?? ''));
    });
    assert.ok((await table.locator('tbody tr').count()) > 0, 'results only, and some');
    await page.waitForFunction(() => !/[0-9a-f]{8}-[0-9a-f]{4}-/.test(document.querySelector('table.stack tbody tr:last-child td:last-child')?.textContent ?? ''));
    await shot(page, 'chronologie-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the timeline (fr, desktop)');
    await page.setViewportSize(PHONE);
    assert.deepEqual(await tablesOverflowing(page), [], 'the timeline fits a phone');
    await shot(page, 'chronologie-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the timeline (fr, phone)');
    await page.setViewportSize(VIEWPORTS[1]);
    // Documents: a note, its fields required, saved as a DocumentReference the physician authors.
    await page.getByRole('link', { name: 'Documents' }).click();
    await page.getByRole('heading', { level: 2, name: 'Ajouter une note' }).waitFor();
    await page.getByRole('button', { name: 'Enregistrer la note' }).click();
    await page.getByText('Indiquez un titre d’au moins 3 caractères.').waitFor();
    await page.getByText('Écrivez la note (au moins 5 caractères).').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'note-name', 'the focus on what is missing');
    assert.deepEqual(await axeViolations(page), [], 'axe on a note refused (fr, desktop)');
    await page.getByLabel('Titre de la note (obligatoire)').fill('Suivi téléphonique');
    await page.getByLabel('Texte de la note (obligatoire)').fill('Patient joint au téléphone : glycémie stable, aucun symptôme.\nRevoir dans 3 mois.');
    await page.getByRole('button', { name: 'Enregistrer la note' }).click();
    await page.getByText('Note enregistrée au dossier.').waitFor();
    const doc = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Suivi téléphonique' }) });
    await doc.waitFor();
    await doc.getByText('Voir « Suivi téléphonique »').click();
    await doc.locator('pre').waitFor();
    assert.match(await doc.locator('pre').innerText(), /glycémie stable[\s\S]*Revoir dans 3 mois/);
    const stored = ((await web.t.request('GET', `/fhir/DocumentReference?subject=Patient/${web.patientId}&author=Practitioner/demo-physician`)).body as Bundle).entry ?? [];
    assert.equal(stored.length, 1, 'one note, authored by the physician');
    await shot(page, 'documents-fr-desktop');
    assert.deepEqual(await axeViolations(page), [], 'axe on the documents (fr, desktop)');
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Add a note' }).waitFor();
    assert.deepEqual(await tablesOverflowing(page), [], 'the documents fit a phone');
    await shot(page, 'documents-en-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the documents (en, phone)');
    await page.getByRole('link', { name: 'Timeline' }).click();
    await page.getByRole('table', { name: 'Timeline of the record' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the timeline (en, phone)');
    await page.getByRole('button', { name: 'Français' }).click();
    await context.close();
  });

  test('an administrator: no inbox (the API refuses Tasks); a merge undone from the decisions, confirmed with a reason; a failed job retried', async () => {
    const { context, page, token } = await clinicContext(web, 'admin', VIEWPORTS[1]);
    const nav = page.getByRole('navigation', { name: 'Sections de l’espace clinique' });
    assert.ok(!(await nav.getByRole('link').allInnerTexts()).includes('Notifications'));
    await page.goto(`${web.origin}/clinique/notifications`);
    await page.getByRole('heading', { level: 1, name: 'Section réservée à un autre rôle' }).waitFor();
    const refused = await fetch(`${web.origin}/fhir/Task?owner=Practitioner/demo-physician`, { headers: { authorization: `Bearer ${token()}` } });
    assert.equal(refused.status, 403);
    // Unmerge from the review screen: an administrator merged two records of one source (through the API)…
    const ids: string[] = [];
    for (const value of ['MX-1', 'MX-2']) {
      const r = await web.t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', identifier: [{ system: 'urn:sys:merge-ui', value }], name: [{ family: 'Desrosiers', given: ['Armand'] }], gender: 'male', birthDate: '1950-02-02' } });
      assert.equal(r.status, 201, r.text);
      ids.push((r.body as { id: string }).id);
    }
    const merged = await fetch(`${web.origin}/fhir/Patient/$merge`, {
      method: 'POST', headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'source-patient', valueReference: { reference: `Patient/${ids[0]}` } }, { name: 'target-patient', valueReference: { reference: `Patient/${ids[1]}` } }, { name: 'reason', valueString: 'doublon de test' }] }),
    });
    assert.equal(merged.status, 200, await merged.text());
    // …then undoes it from the decisions, with a confirmation and its reason.
    await page.setViewportSize(PHONE);
    await page.goto(`${web.origin}/clinique/mpi`);
    const decisions = page.getByRole('table', { name: 'Décisions prises' });
    const row = decisions.getByRole('row').filter({ hasText: `Patient/${ids[0]}` }).filter({ hasText: 'merge' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Annuler la fusion…' }).click();
    await row.getByText('Le dossier source redevient actif').waitFor();
    await row.getByRole('button', { name: 'Confirmer l’annulation de la fusion' }).click();
    await row.getByRole('alert').filter({ hasText: 'Indiquez la raison' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on an unmerge asking for its reason (fr, phone)');
    await row.getByLabel('Raison de l’annulation (obligatoire)').fill('Deux personnes distinctes (père et fils)');
    await row.getByRole('button', { name: 'Confirmer l’annulation de la fusion' }).click();
    await page.getByText('La fusion est annulée.').waitFor();
    const source = (await web.t.request('GET', `/fhir/Patient/${ids[0]}`)).body as { active?: boolean };
    assert.notEqual(source.active, false, 'the source record is active again');
    await decisions.getByRole('row').filter({ hasText: 'unmerge' }).filter({ hasText: 'Deux personnes distinctes' }).waitFor();
    assert.deepEqual(await tablesOverflowing(page), [], 'the decisions fit a phone');
    await shot(page, 'annuler-fusion-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the decisions after an unmerge (fr, phone)');
    // Background jobs: a failed one, with its error, retried from the screen; a second retry is refused.
    const { rows } = await web.t.carnet.db.query<{ id: string }>(`INSERT INTO job (kind, payload, state, run_at, attempts, max_attempts, last_error, created_at, finished_at)
      VALUES ('test.delivery', '{}', 'dead', now(), 3, 3, 'the endpoint answered 500', now(), now()) RETURNING id`);
    const jobId = String(rows[0]?.id);
    await page.getByRole('link', { name: 'Travaux en arrière-plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Travaux en arrière-plan' }).waitFor();
    await page.getByRole('table', { name: 'Travaux par type et par état' }).getByRole('row').filter({ hasText: 'test.delivery' }).waitFor();
    const job = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Travail ${jobId} — test.delivery` }) });
    await job.getByText('the endpoint answered 500').waitFor();
    assert.deepEqual(await tablesOverflowing(page), [], 'the jobs fit a phone');
    await shot(page, 'travaux-fr-phone');
    assert.deepEqual(await axeViolations(page), [], 'axe on the jobs (fr, phone)');
    await job.getByRole('button', { name: 'Relancer' }).click();
    await page.getByText(`Travail ${jobId} (test.delivery) relancé`).waitFor();
    assert.equal(((await web.t.request('GET', `/admin/jobs/${jobId}`)).body as { state: string }).state, 'pending');
    const again = await fetch(`${web.origin}/admin/jobs/${jobId}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
    assert.equal(again.status, 409, 'a job no longer failed is not retried twice');
    await page.setViewportSize(VIEWPORTS[1]);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Background jobs' }).waitFor();
    await page.getByRole('table', { name: 'Event readers' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'axe on the jobs (en, desktop)');
    await page.getByRole('button', { name: 'Français' }).click();
    await context.close();
  });
});
