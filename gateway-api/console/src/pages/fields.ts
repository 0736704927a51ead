import type { Rule } from 'antd/es/form';
import { decimalPattern, decimals, identifierPattern, type ActionField } from '../actions';
import type { MessageKey } from '../i18n';

/** The form rules of a field, checked in the browser before anything is sent (the API checks them again). */
export function fieldRules(field: Pick<ActionField, 'kind' | 'required'>, t: (key: MessageKey) => string): Rule[] {
  const rules: Rule[] = field.required ? [{ required: true, whitespace: true, message: t('form.required') }] : [];
  if (field.kind === 'decimal') rules.push({ pattern: decimalPattern, message: t('form.decimal') });
  if (field.kind === 'identifier') rules.push({ pattern: identifierPattern, message: t('form.identifier') });
  if (field.kind === 'hours') rules.push({ pattern: /^(?:[1-9]|1\d|2[0-4])$/, message: t('alarms.hoursRange') });
  if (field.kind === 'cureHours') rules.push({ pattern: /^(?:[1-9]\d{0,2})$/, validator: (_rule, value: string | undefined) => (value === undefined || value === '' || Number(value) <= 720 ? Promise.resolve() : Promise.reject(new Error(t('collateral.cureHoursRange')))), message: t('collateral.cureHoursRange') });
  if (field.kind === 'decimals') {
    rules.push({
      validator: (_rule, value: string | undefined) =>
        value === undefined || value === '' || decimals(value).every((part) => decimalPattern.test(part)) ? Promise.resolve() : Promise.reject(new Error(t('form.decimal'))),
    });
  }
  return rules;
}
