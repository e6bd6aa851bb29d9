// The demo's HTTP users and their documented passwords (README), kept apart so the demo
// configuration and the default-password check can both use them.
import type { HttpUserConfig } from './auth';

/**
 * The demo's users and their documented passwords (README). Anyone who read the README can log
 * in with them: the gateway warns at start-up and in the API while a user keeps one.
 */
export const DEMO_HTTP_USERS: readonly (HttpUserConfig & { readonly password: string })[] = [
  { name: 'admin', role: 'admin', password: 'kirchhoff-admin', passwordHash: '$scrypt$ln=15,r=8,p=1$sRaHL1jN2muXv8ui6TJqvw$oFYvJNjvcOr8zwqG3BwSvXuAWAqYL16cXCtCHn7K+/s' },
  { name: 'operator', role: 'operator', password: 'kirchhoff-operator', passwordHash: '$scrypt$ln=15,r=8,p=1$W/RglKyb9KEOvUn7URGD9g$LyhZPliQaqGJQTSulfBRGp+VLuK0OB0mEHIQhrTipTI' },
  { name: 'viewer', role: 'viewer', password: 'kirchhoff-viewer', passwordHash: '$scrypt$ln=15,r=8,p=1$mLUDRfxDkK+A/eYxkKP4sw$SvK+/MdR1DmhEr4JVHS2LZgE8hRusEjCurITw06euZE' },
];

