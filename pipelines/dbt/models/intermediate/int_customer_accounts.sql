select
    customer_id,
    count(*) as account_count,
    count_if(account_status = 'active') as active_account_count
from {{ ref('stg_accounts') }}
group by customer_id
