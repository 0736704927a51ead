import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../i18n';
import { VerifyPage } from './VerifyPage';
import './verify.css';

const root = document.getElementById('root');
if (root === null) throw new Error('verify.html has no #root');
createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      <VerifyPage />
    </I18nProvider>
  </StrictMode>,
);
