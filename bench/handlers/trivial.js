// The trivial counter handler: one state read, one write, one event.
$state.count = ($state.count || 0) + 1;
$emit('counted', $state.count);
return $state.count;
