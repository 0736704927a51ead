import { Space } from 'antd';
import { useI18n } from '../i18n';

/** The verification page (no sign-in needed: it checks bundles in the browser) and the same page as a file to keep. */
export function VerifyLinks({ dark = true }: { readonly dark?: boolean }) {
  const { t } = useI18n();
  const style = { color: dark ? '#fff' : undefined };
  return (
    <Space>
      <a href="/verify" target="_blank" rel="noopener" style={style} data-testid="verify-link">
        {t('nav.verify')}
      </a>
      <a href="/wr-verify.html" download="wr-verify.html" style={style} data-testid="verify-download">
        {t('nav.verifyDownload')}
      </a>
    </Space>
  );
}
