import { checkNames, verifyBundleJson, type Check, type VerifyResult } from '@wr/anchor/verifier';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { HANDOFF_KEY } from '../pages/handoff';
import { useI18n, type MessageKey } from '../i18n';
import { shownStep, verdict, type Shown } from './verdict';

/** Where the bundle came from: a file by its name, pasted text, or the console that opened this page. */
type Source = { readonly kind: 'file'; readonly name: string } | { readonly kind: 'pasted' } | { readonly kind: 'console' };

interface Outcome {
  readonly result: VerifyResult;
  readonly rpcUrl: string | undefined;
  readonly elapsedMs: number;
  readonly at: string;
  readonly source: Source;
}

/**
 * The verification page: a bundle dropped, chosen or pasted is checked here, in the browser, by the same core as
 * `wr-verify` (@wr/anchor/verifier). Nothing is sent anywhere but the chain endpoint the person names, if any.
 */
export function VerifyPage() {
  const { t, language, setLanguage, dateTime } = useI18n();
  const [text, setText] = useState('');
  const [source, setSource] = useState<Source>({ kind: 'pasted' });
  const [rpcUrl, setRpcUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const fileInput = useRef<HTMLInputElement>(null);

  // A bundle the console handed over when it opened this page (same origin only; read once).
  useEffect(() => {
    const handed = localStorage.getItem(HANDOFF_KEY);
    if (handed === null) return;
    localStorage.removeItem(HANDOFF_KEY);
    setText(handed);
    setSource({ kind: 'console' });
  }, []);

  const load = async (file: File) => {
    setText(await file.text());
    setSource({ kind: 'file', name: file.name });
    setOutcome(undefined);
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (file !== undefined) void load(file);
  };
  const verify = async () => {
    setBusy(true);
    const url = rpcUrl.trim() === '' ? undefined : rpcUrl.trim();
    const started = performance.now();
    const result = await verifyBundleJson(text, url === undefined ? {} : { rpcUrl: url });
    setOutcome({ result, rpcUrl: url, elapsedMs: performance.now() - started, at: new Date().toISOString(), source });
    setBusy(false);
  };

  return (
    <div className="page">
      <header className="masthead">
        <div>
          <h1>{t('verify.title')}</h1>
          <p className="subtitle">{t('verify.subtitle')}</p>
        </div>
        <div className="tools no-print">
          <button type="button" onClick={() => setLanguage(language === 'zh' ? 'en' : 'zh')} data-testid="language" aria-label={`${t('language.label')}: ${t('language.switch')}`}>
            {t('language.switch')}
          </button>
          <button type="button" onClick={() => window.print()} disabled={outcome === undefined}>
            {t('verify.print')}
          </button>
        </div>
      </header>
      <main>
        <p className="notice" role="note">
          {t('verify.privacy')}
        </p>
        <section className="inputs no-print" aria-label={t('verify.input')}>
          <div className="drop" onDragOver={(event) => event.preventDefault()} onDrop={onDrop} data-testid="drop">
            <p>{t('verify.drop')}</p>
            <button type="button" onClick={() => fileInput.current?.click()}>
              {t('verify.choose')}
            </button>
            <input ref={fileInput} type="file" accept=".json,application/json" hidden onChange={(event) => event.target.files?.[0] && void load(event.target.files[0])} data-testid="file" aria-label={t('verify.choose')} />
            {source.kind === 'file' && <p className="muted">{source.name}</p>}
          </div>
          <label>
            {t('verify.paste')}
            <textarea
              value={text}
              onChange={(event) => {
                setText(event.target.value);
                setSource({ kind: 'pasted' });
                setOutcome(undefined);
              }}
              rows={8}
              spellCheck={false}
              data-testid="bundle"
            />
          </label>
          <label>
            {t('verify.rpc')}
            <input type="url" value={rpcUrl} onChange={(event) => setRpcUrl(event.target.value)} placeholder="https://…" data-testid="rpc" />
            <span className="muted">{t('verify.rpcHelp')}</span>
          </label>
          <button type="button" className="primary" onClick={() => void verify()} disabled={busy || text.trim() === ''} data-testid="verify">
            {busy ? t('verify.checking') : t('verify.verify')}
          </button>
        </section>
        {outcome !== undefined && <Report outcome={outcome} dateTime={dateTime} />}
      </main>
    </div>
  );
}

function Report({ outcome, dateTime }: { readonly outcome: Outcome; readonly dateTime: (iso: string) => string }) {
  const { t } = useI18n();
  const overall = verdict(outcome.result);
  const byName = new Map(outcome.result.checks.map((check) => [check.name, check]));
  return (
    <section className="report" aria-label={t('verify.report')} data-testid="report">
      <h2>{t('verify.report')}</h2>
      <p className={`verdict ${overall}`} data-testid="verdict" data-verdict={overall}>
        {t(`verify.shown.${overall}`)}
      </p>
      <dl className="facts">
        <dt>{t('verify.source')}</dt>
        <dd>{outcome.source.kind === 'file' ? outcome.source.name : t(outcome.source.kind === 'console' ? 'verify.fromConsole' : 'verify.pasted')}</dd>
        <dt>{t('verify.checkedAt')}</dt>
        <dd>{dateTime(outcome.at)}</dd>
        <dt>{t('verify.endpoint')}</dt>
        <dd data-testid="endpoint">{outcome.rpcUrl ?? t('verify.noEndpoint')}</dd>
        <dt>{t('verify.elapsed')}</dt>
        <dd data-testid="elapsed" data-ms={outcome.elapsedMs.toFixed(1)}>
          {t('verify.ms', { ms: outcome.elapsedMs.toFixed(1) })}
        </dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('verify.step')}</th>
            <th scope="col">{t('verify.result')}</th>
            <th scope="col">{t('verify.values')}</th>
          </tr>
        </thead>
        <tbody>
          {checkNames.map((name) => {
            const check = byName.get(name);
            return check === undefined ? null : <StepRow key={name} check={check} rpcUrl={outcome.rpcUrl} />;
          })}
        </tbody>
      </table>
    </section>
  );
}

function StepRow({ check, rpcUrl }: { readonly check: Check; readonly rpcUrl: string | undefined }) {
  const { t } = useI18n();
  const shown: Shown = shownStep(check);
  return (
    <tr data-testid={`step-${check.name}`} data-shown={shown} data-reason={check.reason}>
      <th scope="row">
        {t(`verify.check.${check.name}` as MessageKey)}
        {!check.required && <span className="muted"> · {t('verify.optional')}</span>}
      </th>
      <td>
        <span className={`badge ${shown}`}>{t(`verify.shown.${shown}`)}</span> <code>{check.reason}</code>
      </td>
      <td>
        {check.computed !== undefined && (
          <div>
            {t('verify.computed')}: <code className="hash">{check.computed}</code>
          </div>
        )}
        {check.claimed !== undefined && (
          <div>
            {t('verify.claimed')}: <code className="hash">{check.claimed}</code>
          </div>
        )}
        {check.name === 'anchor' && rpcUrl !== undefined && (
          <div>
            {t('verify.answeredBy')}: <code>{rpcUrl}</code>
          </div>
        )}
        <div className="detail">{check.detail}</div>
      </td>
    </tr>
  );
}
