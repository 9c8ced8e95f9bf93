import { createHttpHandler } from '../adapters/http-handler';
import { handleDeleteConfig, handleGetConfig, handleListEvents, handleResend } from '../core/admin';
import {
  type AdminFunctionDeps,
  handleDisableTarget,
  handleListTemplates,
  handlePreviewTemplate,
  handleResendEvent,
  handleSaveTemplate,
} from '../core/console-api';
import { handleCreateSession, handleDeleteSession, handleGetSession } from '../core/console-session';
import { handleConsoleAsset, handleConsolePage } from '../core/console-web';
import {
  handleCreateTarget,
  handleDeleteTarget,
  handleFindEvents,
  handleGetEvent,
  handleListTargets,
  handleRotateSecret,
  handleTestTarget,
  handleTraceEvent,
} from '../core/tenant-api';
import { adminDeps } from '../wiring/aws/admin';
import { awsLambda } from '../wiring/aws/lambda';

/** The old bridge's API for a tenant's own key, the forwarding tenant API, and the web console with its session. */
export const makeHandler = (getDeps: () => AdminFunctionDeps) =>
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
    consolePage: (request) => handleConsolePage(request, d.consoleAssets),
    consoleAsset: (request) => handleConsoleAsset(request, d.consoleAssets),
    createSession: (request) => handleCreateSession(request, d),
    getSession: (request) => handleGetSession(request, d),
    deleteSession: (request) => handleDeleteSession(request, d),
    listTemplates: (request) => handleListTemplates(request, d),
    saveTemplate: (request) => handleSaveTemplate(request, d),
    previewTemplate: (request) => handlePreviewTemplate(request, d),
    resendEvent: (request) => handleResendEvent(request, d),
    disableTarget: (request) => handleDisableTarget(request, d),
  }));

export const handler = awsLambda(makeHandler, adminDeps);
