<?php

declare(strict_types=1);

// Excluded from the dist archive by .gitattributes (export-ignore).
assert((new PhpublishSample\Hello\Greeter())->greet('a') === 'Hello, a!');
