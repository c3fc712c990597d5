import { smartApp } from '../shared/smart.js';

/**
 * The portal signs in as the public client `carnet-portail` that Carnet registers at startup
 * (src/auth/portal-client.ts); the SMART flow itself is shared/smart.ts.
 */
export const CLIENT_ID = 'carnet-portail';
// Read the whole record; write only consent choices.
export const SCOPE = 'openid fhirUser launch/patient patient/*.rs patient/Consent.cu patient/Appointment.cu online_access';

const app = smartApp({ clientId: CLIENT_ID, scope: SCOPE, path: '/portail/' });
export const signIn = app.signIn;
export const signOut = app.signOut;
export type { SignIn } from '../shared/smart.js';
