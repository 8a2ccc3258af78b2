import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  DELIVERY_STATUSES,
  type deliveryStatusSchema,
} from "../../../../server/webhooks/webhook-inbox.schema.ts";
import { HANDLED_EVENTS } from "../../../../server/webhooks/webhook.schema.ts";
import { FormError } from "../../components/form-error.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import type * as z from "zod";

type Status = z.infer<typeof deliveryStatusSchema>;

/** Every GitHub delivery for this organisation's installations, with what Hangar made of it (SPEC §5.8). */
export function WebhooksPage() {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const [status, setStatus] = useState<Status | "">("");
  const [event, setEvent] = useState<string>("");
  const [openId, setOpenId] = useState<string | null>(null);
  const filter = {
    organizationId: organization.id,
    ...(status ? { status } : {}),
    ...(event ? { event } : {}),
  };
  const deliveries = useInfiniteQuery(
    trpc.webhookDelivery.list.infiniteQueryOptions(filter, {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      refetchInterval: 5_000,
    }),
  );
  const rows = deliveries.data?.pages.flatMap((page) => page.deliveries) ?? [];

  return (
    <section aria-labelledby="webhooks-heading">
      <div className="page-header">
        <h1 id="webhooks-heading">Webhook deliveries</h1>
        <span className="muted">{organization.name}</span>
      </div>
      <div className="toolbar">
        <label className="field inline">
          <span>Outcome</span>
          <select value={status} onChange={(change) => setStatus(change.target.value as Status | "")}>
            <option value="">All</option>
            {DELIVERY_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Event</span>
          <select value={event} onChange={(change) => setEvent(change.target.value)}>
            <option value="">All</option>
            {HANDLED_EVENTS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
      </div>
      {deliveries.isPending ? <Loading label="Loading deliveries…" /> : null}
      {deliveries.isError ? (
        <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : null}
      {deliveries.isSuccess && rows.length === 0 ? (
        <div className="empty-state">
          <h2>No deliveries yet</h2>
          <p className="muted">Deliveries appear here once a connected GitHub installation sends events.</p>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event</th>
              <th scope="col">Repository</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((delivery) => (
              <tr key={delivery.id}>
                <td>
                  <button type="button" className="link-button" onClick={() => setOpenId(delivery.id)}>
                    {delivery.receivedAt.toLocaleString()}
                  </button>
                </td>
                <td>
                  {delivery.event}
                  {delivery.action ? `.${delivery.action}` : ""}
                </td>
                <td>{delivery.repositoryFullName ?? "—"}</td>
                <td>
                  <span className={`badge badge-${delivery.status}`}>{delivery.status}</span>
                </td>
                <td>{delivery.reason ?? "waiting to be processed"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {deliveries.hasNextPage ? (
        <button type="button" className="button" onClick={() => void deliveries.fetchNextPage()}>
          Load more
        </button>
      ) : null}
      {openId ? <DeliveryDetail id={openId} onClose={() => setOpenId(null)} /> : null}
    </section>
  );
}

function DeliveryDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const delivery = useQuery(
    trpc.webhookDelivery.byId.queryOptions({ organizationId: organization.id, deliveryRowId: id }),
  );
  const replay = useMutation(
    trpc.webhookDelivery.replay.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhookDelivery.pathKey() }),
    }),
  );
  const canReplay = organization.role !== "viewer";

  return (
    <aside className="detail-panel" aria-label="Delivery detail">
      <div className="page-header">
        <h2>Delivery</h2>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
      {delivery.isPending ? <Loading label="Loading delivery…" /> : null}
      {delivery.isError ? (
        <ErrorState error={delivery.error} onRetry={() => void delivery.refetch()} />
      ) : null}
      {delivery.data ? (
        <>
          <dl className="facts">
            <dt>GitHub delivery id</dt>
            <dd>{delivery.data.deliveryId}</dd>
            <dt>Outcome</dt>
            <dd>
              {delivery.data.status}: {delivery.data.reason ?? "waiting to be processed"}
            </dd>
            <dt>Attempts</dt>
            <dd>{delivery.data.attempts}</dd>
            <dt>Duplicates received</dt>
            <dd>{delivery.data.duplicateCount}</dd>
          </dl>
          {canReplay ? (
            <button
              type="button"
              className="button primary"
              disabled={replay.isPending}
              onClick={() => replay.mutate({ organizationId: organization.id, deliveryRowId: id })}
            >
              {replay.isPending ? "Replaying…" : "Replay"}
            </button>
          ) : null}
          <FormError message={replay.isError ? describeError(replay.error).message : null} />
          <h3>Headers</h3>
          <pre className="code">{JSON.stringify(delivery.data.headers, null, 2)}</pre>
          <h3>Payload ({delivery.data.payloadBytes} bytes)</h3>
          <pre className="code">{JSON.stringify(delivery.data.payload, null, 2)}</pre>
        </>
      ) : null}
    </aside>
  );
}
