export { armoredKeySecrets, armorKind, PRIVATE_KEY_BEGIN, PUBLIC_KEY_BEGIN } from './armor.js';
export { type GpgInvocation, GpgUsageProblem, parseGpgArguments } from './gpg-arguments.js';
export { type GpgProgramInput, type GpgProgramResult, runGpgProgram, TRUSTED_KEYS_VARIABLE } from './gpg-program.js';
export { describeAlgorithm, normalizeFingerprint } from './key-info.js';
export {
  PASSPHRASE_VARIABLE,
  PRIVATE_KEY_VARIABLE,
  type ReadSigningKeyMaterial,
  readSigningKeyMaterial,
  type SigningKeyMaterial,
  type SigningKeyMaterialInput,
} from './key-material.js';
export { type KeySelectorMatch, matchKeySelector } from './key-selector.js';
export { type DetachedSignature, type SignOptions, signDetached } from './sign.js';
export { type LoadSigningKeyOptions, loadSigningKey, type SigningKey } from './signing-key.js';
export { generateThrowawayKey, type ThrowawayKey } from './throwaway-key.js';
export {
  type LoadTrustedKeysInput,
  loadTrustedKeys,
  type TrustedKey,
  type TrustedKeySource,
  type TrustedKeys,
  type TrustLevel,
  trustSigningKey,
} from './trusted-keys.js';
export {
  type SignatureFacts,
  type SignatureVerification,
  type SignerFacts,
  type VerifyDetachedInput,
  verifyDetached,
} from './verify.js';
