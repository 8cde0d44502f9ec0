export { PrivatePackagistClient, type PrivatePackagistClientOptions } from './client.js';
export { canonicalRequestString, type HmacCredential, hmacAuthorization, type SignedRequestInput } from './hmac.js';
export { preflightPrivatePackagist } from './preflight.js';
export { type PrivatePackagistOutcome, privatePackagistListing, publishToPrivatePackagist } from './publish.js';
export { type PrivatePackagistSettings, privatePackagistPackageType, privatePackagistSettings } from './settings.js';
