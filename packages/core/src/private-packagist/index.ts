export { PrivatePackagistClient, type PrivatePackagistClientOptions } from './client.js';
export { canonicalRequestString, type HmacCredential, hmacAuthorization, type SignedRequestInput } from './hmac.js';
export { preflightPrivatePackagist } from './preflight.js';
export { type PrivatePackagistOutcome, privatePackagistListing, publishToPrivatePackagist } from './publish.js';
export { type PrivatePackagistSettings, privatePackagistSettings } from './settings.js';
