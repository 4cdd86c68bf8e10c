import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorMessage } from './ui';

interface KillDialogProps {
  title: string;
  /** What will happen, shown above the reason. */
  children: ComponentChildren;
  confirmLabel: string;
  /** Disables confirming (e.g. nothing would be killed). */
  blocked?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
}

/** The one confirmation before a kill: states what will be turned off and asks why (the audit log keeps it). */
export function KillDialog({
  title,
  children,
  confirmLabel,
  blocked = false,
  onConfirm,
  onClose,
}: KillDialogProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          try {
            await onConfirm(reason.trim());
          } catch (err) {
            setError(err);
            setBusy(false);
          }
        }}
      >
        {children}
        <label for="kill-reason">Reason (recorded in the audit log)</label>
        <textarea
          id="kill-reason"
          required
          rows={3}
          maxLength={1000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          placeholder="e.g. checkout errors spiking after deploy"
        />
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={busy || blocked || reason.trim() === ''}>
            {busy ? 'Killing…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
