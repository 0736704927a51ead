import { Form, Input, Modal } from 'antd';
import { useState } from 'react';
import type { ActionField } from '../actions';
import { idempotencyKey } from '../api/client';
import { useI18n } from '../i18n';
import { fieldRules } from './fields';
import { ProblemAlert } from './Problem';

/**
 * A dialog that asks for `fields` (each checked by its rules before anything is sent) and submits them once, with a
 * fresh Idempotency-Key; a refusal stays in the dialog with its code, a success closes it.
 */
export function FormModal({
  title,
  fields,
  onSubmit,
  onClose,
}: {
  readonly title: string;
  readonly fields: readonly ActionField[];
  readonly onSubmit: (values: Readonly<Record<string, string>>, key: string) => Promise<void>;
  readonly onClose: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Record<string, string>>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async () => {
    // A field that does not pass its rules says so under it; nothing is sent.
    const values = fields.length === 0 ? {} : await form.validateFields().catch(() => undefined);
    if (values === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(values, idempotencyKey());
      onClose();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={title}
      okText={t('action.submit')}
      cancelText={t('action.cancel')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'submit-action' }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={Object.fromEntries(fields.map((field) => [field.name, field.initial ?? '']))}>
        {fields.map((field) => (
          <Form.Item key={field.name} name={field.name} label={t(field.label)} rules={fieldRules(field, t)} extra={field.kind === 'decimals' ? t('field.quantitiesHelp') : undefined}>
            {field.kind === 'multiline' ? <Input.TextArea rows={8} data-testid={`field-${field.name}`} /> : <Input data-testid={`field-${field.name}`} />}
          </Form.Item>
        ))}
      </Form>
      {error !== undefined && <ProblemAlert error={error} />}
    </Modal>
  );
}
