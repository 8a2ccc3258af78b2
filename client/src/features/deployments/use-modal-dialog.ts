import { type RefObject, useEffect, useRef } from "react";

/**
 * A ref for a <dialog> that opens it as a modal once mounted: the browser traps focus in it, focuses
 * its first control, and closes it on Escape (firing `onClose`, which unmounts it).
 */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return dialog;
}
