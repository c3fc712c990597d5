import { smartApp } from '../shared/smart.js';

/**
 * The portal signs in as the public client `carnet-portail` that Carnet registers at startup
 * (src/auth/portal-client.ts); the SMART flow itself is shared/smart.ts.
 */
export const CLIENT_ID = 'carnet-portail';
// Read the whole record; write only consent choices.
export const SCOPE = 'openid fhirUser launch/patient patient/*.rs patient/Consent.cu patient/Appointment.cu online_access';

/** Whose record to open at the next sign-in (a person the proxy switched to); a patient id, nothing more. */
export const PERSON_KEY = 'carnet.portail.patient';

const app = smartApp({
  clientId: CLIENT_ID, scope: SCOPE, path: '/portail/',
  authorizeParams: (): Record<string, string> => {
    const hint = sessionStorage.getItem(PERSON_KEY);
    return hint ? { patient_hint: hint } : {};
  },
});
export const signIn = app.signIn;
export const signOut = app.signOut;
export const release = app.release;
export type { SignIn } from '../shared/smart.js';
