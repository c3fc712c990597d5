import type { Attachment, DocumentReference } from '@medplum/fhirtypes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../shared/format.js';
import { currentLang } from '../../shared/i18n.js';
import { QueryState } from '../../shared/Page.js';
import { attachmentSource, base64ToUtf8, documentRows, documentsPath, isText, noteDocument, noteProblems, type DocumentRow, type NoteProblem } from '../record.js';
import { useSession } from '../session.js';

/** One attachment: text shown in place, any other file opened from its bytes (fetched with the token). */
function AttachmentView(props: { attachment: Attachment; index: number; docId: string }) {
  const { t } = useTranslation();
  const { client } = useSession();
  const { attachment } = props;
  const source = attachmentSource(attachment);
  const [open, setOpen] = useState(false);
  const content = useQuery({
    queryKey: ['attachment', props.docId, props.index],
    enabled: open && source.kind !== 'none',
    queryFn: async (): Promise<{ text?: string; url?: string }> => {
      if (source.kind === 'inline') {
        if (isText(attachment.contentType)) return { text: base64ToUtf8(source.base64) };
        const bytes = Uint8Array.from(atob(source.base64), (c) => c.charCodeAt(0));
        return { url: URL.createObjectURL(new Blob([bytes], { type: attachment.contentType ?? 'application/octet-stream' })) };
      }
      if (source.kind === 'binary') {
        const response = await fetch(new URL(source.path, `${client.state.serverUrl.replace(/\/+$/, '')}/`), { headers: { authorization: `Bearer ${client.state.tokenResponse?.access_token ?? ''}`, accept: attachment.contentType ?? '*/*' } });
        if (!response.ok) throw Object.assign(new Error(response.statusText), { statusCode: response.status });
        const blob = await response.blob();
        if (isText(attachment.contentType)) return { text: await blob.text() };
        return { url: URL.createObjectURL(blob) };
      }
      return {};
    },
  });
  const name = attachment.title ?? t('clinic.docs.attachment', { n: props.index + 1 });
  if (source.kind === 'none') return <li>{name} <span className="note">({t('clinic.docs.noContent')})</span></li>;
  return (
    <li>
      <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
        <summary>{t('clinic.docs.view', { name })}{attachment.contentType ? ` (${attachment.contentType.split(';')[0]})` : ''}</summary>
        <QueryState query={{ ...content, isPending: open && content.isPending }} />
        {content.data?.text !== undefined && <pre className="raw document-text" tabIndex={0} aria-label={name}>{content.data.text}</pre>}
        {content.data?.url && <p><a href={content.data.url} download={attachment.title ?? 'document'} target="_blank" rel="noreferrer">{t('clinic.docs.open', { name })}</a></p>}
      </details>
    </li>
  );
}

function NoteForm(props: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client, fhirUser, name } = useSession();
  const queries = useQueryClient();
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<NoteProblem[]>([]);
  const [saved, setSaved] = useState(false);
  const busy = useRef(false);
  const titleField = useRef<HTMLInputElement>(null);
  const textField = useRef<HTMLTextAreaElement>(null);
  const save = useMutation({
    mutationFn: () => client.request<DocumentReference>({ url: 'DocumentReference', method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(noteDocument(props.id, fhirUser as string, { title, text }, new Date(), lang, name)) }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy.current) return;
    const wrong = noteProblems({ title, text });
    setProblems(wrong);
    setSaved(false);
    if (wrong.length > 0) { (wrong[0] === 'title' ? titleField : textField).current?.focus(); return; }
    busy.current = true;
    save.mutate(undefined, {
      onSuccess: () => { setTitle(''); setText(''); setSaved(true); void queries.invalidateQueries({ queryKey: ['documents', props.id] }); },
      onSettled: () => { busy.current = false; },
    });
  };
  if (!fhirUser) return null;
  return (
    <section aria-labelledby="note-title">
      <h2 id="note-title">{t('clinic.docs.addNote')}</h2>
      <p className="note">{t('clinic.docs.noteIntro')}</p>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="note-name">{t('clinic.docs.noteName')}</label>
          <input id="note-name" type="text" ref={titleField} value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={problems.includes('title') ? true : undefined} aria-describedby={problems.includes('title') ? 'note-name-error' : undefined} />
          {problems.includes('title') && <p id="note-name-error" role="alert" className="alert">{t('clinic.docs.noteNameRequired')}</p>}
        </div>
        <div className="field">
          <label htmlFor="note-text">{t('clinic.docs.noteText')}</label>
          <textarea id="note-text" ref={textField} rows={6} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={problems.includes('text') ? true : undefined} aria-describedby={problems.includes('text') ? 'note-text-error' : undefined} />
          {problems.includes('text') && <p id="note-text-error" role="alert" className="alert">{t('clinic.docs.noteTextRequired')}</p>}
        </div>
        <button type="submit" className="button" aria-disabled={save.isPending ? true : undefined}>{t('clinic.docs.saveNote')}</button>
        <div aria-live="polite">
          {saved && <p className="status ok-box">{t('clinic.docs.noteSaved')}</p>}
          {save.isError && <p className="alert">{t('common.error')}</p>}
        </div>
      </form>
    </section>
  );
}

/** Every document of every source record of the person, newest first, each attachment viewable; and a note to add. */
export function PatientDocuments(props: { id: string }) {
  const { t } = useTranslation();
  const lang = currentLang();
  const { client } = useSession();
  const list = useQuery({
    queryKey: ['documents', props.id],
    queryFn: () => client.request<DocumentReference[]>(documentsPath(props.id), { pageLimit: 0, flat: true }),
  });
  const rows: DocumentRow[] = documentRows(list.data ?? []);
  return (
    <>
      <QueryState query={list} />
      {list.data && <p role="status" className="note">{rows.length === 0 ? t('clinic.docs.none') : t('clinic.docs.count', { count: rows.length })}</p>}
      {rows.length > 0 && (
        <ul className="list">
          {rows.map((d) => (
            <li key={d.id} className="item" aria-labelledby={`doc-${d.id}`}>
              <h2 id={`doc-${d.id}`} className="item-title">{d.title || t('clinic.docs.untitled')}</h2>
              <p>{d.date ? formatDateTime(d.date, lang) : t('clinic.docs.noDate')}{d.author ? ` · ${d.author}` : ''}{d.status !== 'current' ? ` · ${t('clinic.docs.superseded')}` : ''}</p>
              <ul className="attachments">{d.attachments.map((a, i) => <AttachmentView key={i} attachment={a} index={i} docId={d.id} />)}</ul>
            </li>
          ))}
        </ul>
      )}
      <NoteForm id={props.id} />
    </>
  );
}
