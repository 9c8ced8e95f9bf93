import { createHttpHandler } from '../adapters/http-handler';
import { type AdminDeps, handleDeleteConfig, handleGetConfig, handleListEvents, handleResend } from '../core/admin';
import {
  handleCreateTarget,
  handleDeleteTarget,
  handleFindEvents,
  handleGetEvent,
  handleListTargets,
  handleRotateSecret,
  handleTestTarget,
  handleTraceEvent,
  type TenantApiDeps,
} from '../core/tenant-api';
import { adminDeps } from '../wiring/aws/admin';
import { awsLambda } from '../wiring/aws/lambda';

/** The old bridge's API for a tenant's own key (configuration, events, resend) and the forwarding tenant API. */
export const makeHandler = (getDeps: () => AdminDeps & TenantApiDeps) =>
  createHttpHandler(getDeps, (d) => ({
    getConfig: (request) => handleGetConfig(request, d),
    deleteConfig: (request) => handleDeleteConfig(request, d),
    listEvents: (request) => handleListEvents(request, d),
    resendEvents: (request) => handleResend(request, d),
    createTarget: (request) => handleCreateTarget(request, d),
    listTargets: (request) => handleListTargets(request, d),
    deleteTarget: (request) => handleDeleteTarget(request, d),
    rotateTargetSecret: (request) => handleRotateSecret(request, d),
    testTarget: (request) => handleTestTarget(request, d),
    getEvent: (request) => handleGetEvent(request, d),
    findEvents: (request) => handleFindEvents(request, d),
    traceEvent: (request) => handleTraceEvent(request, d),
  }));

export const handler = awsLambda(makeHandler, adminDeps);
