import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { CheckboxField } from "../../components/field.tsx";
import { FormError } from "../../components/form-error.tsx";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import type { Project } from "./project-types.ts";

/** Owners only: deleting a project, and — only when asked — its Fly app. */
export function ProjectDangerZone({ project }: { project: Project }) {
  const [open, setOpen] = useState(false);
  return (
    <section aria-labelledby="danger-zone-heading" className="card stack danger-zone">
      <h2 id="danger-zone-heading">Danger zone</h2>
      <p className="muted">
        Deleting the project removes its settings, environment variables and deployment history from Hangar.
        You choose whether the Fly app is destroyed too.
      </p>
      <div className="actions">
        <button type="button" className="button danger" onClick={() => setOpen(true)}>
          Delete project…
        </button>
      </div>
      {open ? <DeleteProjectDialog project={project} onClose={() => setOpen(false)} /> : null}
    </section>
  );
}

function DeleteProjectDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const dialog = useRef<HTMLDialogElement>(null);
  const [destroyFlyApp, setDestroyFlyApp] = useState(false);
  const [confirmation, setConfirmation] = useState("");
  const remove = useMutation(
    trpc.project.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.project.list.pathKey() });
        await navigate("/projects");
        queryClient.removeQueries({
          queryKey: trpc.project.byId.queryKey({ organizationId: organization.id, projectId: project.id }),
        });
      },
    }),
  );
  const confirmed = confirmation.trim() === project.name;

  // A modal <dialog>: the browser traps focus, and Escape closes it (→ onClose).
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!confirmed) return;
    remove.mutate({ organizationId: organization.id, projectId: project.id, destroyFlyApp });
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="delete-project-title"
      aria-describedby="delete-project-description"
      onClose={onClose}
    >
      <form onSubmit={onSubmit} className="stack" noValidate>
        <h2 id="delete-project-title">Delete {project.name}?</h2>
        <p id="delete-project-description">
          Hangar forgets this project: its settings, environment variables and deployment history. This cannot
          be undone.
        </p>
        <CheckboxField
          id="delete-project-destroy-fly-app"
          label={`Also destroy the Fly app ${project.flyAppName}`}
          checked={destroyFlyApp}
          onChange={setDestroyFlyApp}
          help={
            destroyFlyApp
              ? "Fly.io deletes the app with its machines and volumes: the site goes offline."
              : "The Fly app keeps running on Fly.io, no longer deployed by Hangar."
          }
        />
        <div className="field">
          <label htmlFor="delete-project-confirmation">
            Type <strong>{project.name}</strong> to confirm
          </label>
          <input
            id="delete-project-confirmation"
            value={confirmation}
            onChange={(event) => setConfirmation(event.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <FormError message={remove.isError ? describeError(remove.error).message : null} />
        <div className="actions">
          <button type="submit" className="button danger" disabled={!confirmed || remove.isPending}>
            {remove.isPending ? "Deleting…" : destroyFlyApp ? "Delete project and Fly app" : "Delete project"}
          </button>
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
