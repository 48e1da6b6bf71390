select customer_id, kyc_result, provider, checked_at
from {{ ref('stg_kyc_checks') }}
qualify row_number() over (partition by customer_id order by checked_at desc, check_id desc) = 1
