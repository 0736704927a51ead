import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import en from './en.json';
import zhTexts from './zh.json';

/** A key of the dictionaries: en.json and zh.json have the same keys (a test walks both). `{name}` is filled in. */
export type MessageKey = keyof typeof en;
// Fails to compile if zh.json lacks a key of en.json.
const zh: Readonly<Record<MessageKey, string>> = zhTexts;

export type Language = 'zh' | 'en';
export const dictionaries: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { zh, en };

const storageKey = 'wr.language';

/** Fills `{name}` placeholders. */
export function format(text: string, values: Readonly<Record<string, string | number>> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}

/** Whether `key` is one of the dictionaries' keys (a problem code from the API may not be). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

interface I18n {
  readonly language: Language;
  readonly locale: string;
  readonly setLanguage: (language: Language) => void;
  readonly t: (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;
  /** A date and time in the language's format, in the browser's time zone. */
  readonly dateTime: (iso: string) => string;
  /** An exact decimal string grouped for the language, without going through a float. */
  readonly decimal: (value: string) => string;
}

const Context = createContext<I18n | undefined>(undefined);

function initialLanguage(): Language {
  const stored = localStorage.getItem(storageKey);
  if (stored === 'zh' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function I18nProvider({ children }: { readonly children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((next: Language) => {
    localStorage.setItem(storageKey, next);
    setLanguageState(next);
  }, []);
  // Screen readers and the browser's own texts follow the page's language.
  useEffect(() => {
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }, [language]);
  const value = useMemo<I18n>(() => {
    const locale = language === 'zh' ? 'zh-CN' : 'en-GB';
    const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    const grouping = new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 });
    const separator = new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
    return {
      language,
      locale,
      setLanguage,
      t: (key, values) => format(dictionaries[language][key], values),
      dateTime: (iso) => dates.format(new Date(iso)),
      decimal: (text) => {
        const [whole = '', fraction] = text.split('.');
        if (!/^\d+$/.test(whole)) return text;
        // BigInt keeps every digit of a quantity that a float would round.
        const grouped = grouping.format(BigInt(whole));
        return fraction === undefined ? grouped : `${grouped}${separator}${fraction}`;
      },
    };
  }, [language, setLanguage]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (value === undefined) throw new Error('useI18n outside I18nProvider');
  return value;
}
