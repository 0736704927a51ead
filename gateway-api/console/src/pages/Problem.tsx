import { Alert } from 'antd';
import { ApiProblem } from '../api/client';
import { isMessageKey, useI18n } from '../i18n';

/** A refusal in the user's language, with the API's stable code and its detail as sent. */
export function ProblemAlert({ error, title }: { readonly error: unknown; readonly title?: string }) {
  const { t } = useI18n();
  const problem = error instanceof ApiProblem ? error : new ApiProblem(0, 'NETWORK', error instanceof Error ? error.message : String(error));
  const key = `problem.${problem.code}`;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-testid="problem"
      data-code={problem.code}
      title={title ?? (isMessageKey(key) ? t(key) : t('problem.other'))}
      description={
        <>
          <div>
            {t('problem.code')}: <code>{problem.code}</code>
          </div>
          <div>
            {t('problem.detail')}: {problem.detail}
          </div>
          {problem.problems.length > 0 && (
            <ul data-testid="problem-rows">
              {problem.problems.map((row) => (
                <li key={`${row.row.toString()}-${row.field ?? ''}-${row.code}`}>
                  {t('problem.row', { row: row.row })}
                  {row.field === null ? '' : ` · ${row.field}`} · <code>{row.code}</code> · {row.message}
                </li>
              ))}
            </ul>
          )}
        </>
      }
    />
  );
}
